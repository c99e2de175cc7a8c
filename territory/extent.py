"""Where France is: a feature outside every one of these boxes is not French soil.

Boxes (WGS84 degrees: west, south, east, north) hold the published outlines of the
101 départements with about 0.2° to spare; overseas collectivities that are not
départements (Saint-Martin, Polynesia...) are not in the tree, so not here either.
"""

import math

FRANCE_AREAS: dict[str, tuple[float, float, float, float]] = {
    "mainland France and Corsica": (-5.5, 41.2, 9.9, 51.3),
    "Guadeloupe": (-62.0, 15.7, -60.8, 16.7),
    "Martinique": (-61.4, 14.2, -60.6, 15.0),
    "Guyane": (-54.8, 1.9, -51.4, 6.0),
    "La Réunion": (55.0, -21.6, 56.0, -20.7),
    "Mayotte": (44.8, -13.2, 45.5, -12.4),
}
EARTH_RADIUS_KM = 6371.0


def implausible_extent(extent: tuple[float, float, float, float]) -> str | None:
    """Why a WGS84 bounding box cannot be a French territory, or None if it can."""
    west, south, east, north = extent
    shown = f"bbox ({west:.4f}, {south:.4f}, {east:.4f}, {north:.4f})"
    if not all(map(math.isfinite, extent)) or not (
        -180 <= west <= east <= 180 and -90 <= south <= north <= 90
    ):
        return (
            f"coordinates out of range ({shown}; longitude must be within -180..180, "
            "latitude within -90..90)"
        )
    if any(_inside(extent, box) for box in FRANCE_AREAS.values()):
        return None
    name, distance = nearest_area(((west + east) / 2, (south + north) / 2))
    return (
        f"outside France's extent ({shown}); the nearest plausible area is {name}, "
        f"{distance:,.0f} km away"
    )


def _inside(extent, box) -> bool:
    west, south, east, north = extent
    return box[0] <= west and box[1] <= south and east <= box[2] and north <= box[3]


def nearest_area(point: tuple[float, float]) -> tuple[str, float]:
    """The box nearest a (lon, lat) point, and its distance in kilometres."""
    lon, lat = point
    distances = {
        name: _km((lon, lat), (min(max(lon, w), e), min(max(lat, s), n)))
        for name, (w, s, e, n) in FRANCE_AREAS.items()
    }
    name = min(distances, key=distances.__getitem__)
    return name, distances[name]


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine)."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))
