"""Catalog HTTP: public catalog pages, management pages and the JSON API. (Being written.)"""

from litestar import Controller


class PublicCatalogController(Controller):
    path = "/catalog"


class ProducerController(Controller):
    path = "/manage/producers"


class ProductController(Controller):
    path = "/manage/products"


class ComboController(Controller):
    path = "/manage/combos"


class MediaController(Controller):
    path = "/media"


class CatalogApiController(Controller):
    path = "/api/v1/catalog"
