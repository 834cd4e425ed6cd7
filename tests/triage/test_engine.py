"""The engine's remembered routes and shared keywords (what makes a batch fast) must not change
what triage answers."""

from __future__ import annotations

from civicdesk.triage import classifier
from civicdesk.triage.engine import Engine
from civicdesk.triage.lexicon import Lexicon
from tests.triage import synthetic


def test_remembered_routes_are_the_routes(engine_):
    streets = [a for a in engine_.locator.areas.values() if a.level == "street"][:12]
    places = [engine_.locator.placed(s.code) for s in streets]
    places.append(engine_.locator.locate("苏州市姑苏区"))  # not placed
    # Categories of different rules (routing.yaml): the squadron, the centre, a department.
    leaves = [c.code for c in engine_.categories.values() if c.leaf][:4]
    leaves += [c.code for c in engine_.categories.values() if c.parent == "not_city"][:3]
    leaves.append(None)
    seen = set()
    for _ in range(2):  # the second round answers from memory
        for category in leaves:
            for place in places:
                remembered = engine_.route(category, place)
                assert remembered == engine_._route(category, place)
                seen.add(remembered)
    # Several different answers: a memory keyed wrongly would have given one for all.
    assert len({r.unit for r in seen}) > 1
    assert len({r.explanation for r in seen}) > len(places)


def _model(words: dict[str, list[str]]) -> classifier.TriageModel:
    data = synthetic.rows()
    return classifier.train(
        [r["title"] for r in data],
        [r["detail"] for r in data],
        [r["label_zh"] for r in data],
        lexicon=Lexicon.build(words),
    )


def _engine(engine_: Engine, model: classifier.TriageModel) -> Engine:
    return Engine(
        categories=engine_.categories,
        lexicon=engine_.lexicon,
        locator=engine_.locator,
        routing=engine_.routing,
        covering=engine_.covering,
        unit_names=engine_.unit_names,
        model=model,
    )


def test_the_models_keywords_are_shared_when_they_are_the_configurations(engine_):
    same = _engine(engine_, _model(dict(engine_.lexicon.words)))
    assert same.lexicon is same.model.lexicon
    other = _engine(engine_, _model({"living_noise": ["噪音"]}))
    assert other.lexicon is engine_.lexicon  # the configuration's keywords still narrow
    texts = ["楼下烧烤摊油烟很大", "小区门口乱停车", "垃圾没人清运"]
    a = [c.category for c in same.classify_many(texts, texts)]
    b = [c.category for c in _engine(engine_, same.model).classify_many(texts, texts)]
    assert a == b


def test_the_place_search_reads_past_the_classifiers_cut(engine_):
    """The model reads 150 characters of the body, the place search 500: a street named at
    character 300 is found, from the address when it places a street, else from the texts."""
    model = _model(dict(engine_.lexicon.words))
    engine = _engine(engine_, model)
    text = "楼下" * 150 + "西溪街道上马塍社区门口每天晚上烧烤"
    assert len(text) > 2 * model.params.body_chars
    found = engine.triage_many(["烧烤"], [text], [None])[0].location
    assert found.street is not None and found.street.name == "西溪街道"
    assert found == engine.locator.locate(None, "烧烤", text)
    by_address = engine.triage_many(["烧烤"], [text], ["拱墅区武林街道竹竿巷社区12号"])[0]
    assert by_address.location.street.name == "武林街道"
    nowhere = engine.triage_many(["烧烤"], ["楼下" * 300 + "西溪街道"], ["苏州市姑苏区"])[0]
    assert nowhere.location.street is None  # past 500 characters: not searched


def test_a_large_batch_leaves_the_garbage_collector_as_it_found_it(engine_):
    import gc

    from civicdesk.triage.engine import GC_PAUSE_FROM

    n = GC_PAUSE_FROM + 5
    texts = ["小区门口乱停车，西溪街道"] * n
    one = engine_.triage(None, texts[0], None)
    assert gc.isenabled()
    many = engine_.triage_many([None] * n, texts, [None] * n)
    assert gc.isenabled()
    assert [m.classification for m in many] == [one.classification] * n
    gc.disable()
    try:
        engine_.triage_many([None] * n, texts, [None] * n)
        assert not gc.isenabled()  # the caller's choice is kept
    finally:
        gc.enable()
