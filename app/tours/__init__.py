"""Tours: places, showrooms, routes and stops, corridor search, and the maps.

`app.tours.maps` is the folium adapter (the only module that imports folium); `app.tours.geojson` builds the
GeoJSON that map layers load in the browser, with its bounding-box filter and ETag caching. Both serve every
map of the app: the fairs map at `/fairs` and, later, the tourist's route and explore maps.
"""
