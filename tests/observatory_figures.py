"""Reference figures for the observatory's tests: the census 1395 (2016) population of every province, by the
app's province code, and a made-up need index (not a real statistic), imported as organisers import them."""
from eventapp.auth.models import User
from eventapp.core.database import utcnow
from eventapp.core.extensions import db
from eventapp.pipeline import observatory

POPULATION = {
    0: 1429475, 1: 2530696, 2: 3283582, 3: 3909652, 4: 3265219, 5: 1952434, 6: 4710509, 7: 4851274, 8: 3164718,
    9: 6434501, 10: 5120850, 11: 2775014, 12: 1603011, 13: 1738234, 14: 947763, 15: 1760649, 16: 580158,
    17: 713052, 18: 1163400, 19: 1057461, 20: 702360, 21: 1138533, 22: 1776415, 23: 13267637, 24: 1270420,
    25: 1292283, 26: 1273761, 27: 1868819, 28: 863092, 29: 768898, 30: 2712400,
}
# Made up for the tests: larger in the provinces of the south-east and the west, smaller around Tehran.
NEED_INDEX = {code: round(0.2 + ((code * 7) % 31) / 40, 3) for code in POPULATION} | {11: 0.97, 16: 0.9, 17: 0.88,
                                                                                     23: 0.1, 21: 0.15}


def import_figures(app, organiser, population=POPULATION, need=NEED_INDEX) -> None:
    """Import the population and the need index (key ``deprivation``) through the organisers' import."""
    lines = ["province,key,name_fa,name_en,unit,value"]
    lines += [f"{code},population,جمعیت,Population,نفر,{value}" for code, value in population.items()]
    lines += [f"{code},deprivation,شاخص محرومیت,Deprivation index,,{value}" for code, value in need.items()]
    with app.app_context():
        result = observatory.import_references(db.session.get(User, organiser.id), "figures.csv",
                                               "\n".join(lines).encode(), utcnow())
        assert result.ok, result.problems
        db.session.commit()
