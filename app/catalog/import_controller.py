"""CSV import pages. (Being written.)"""

from litestar import Controller


class ImportController(Controller):
    path = "/manage/import"
