"""The bundled programs ranked ahead of time (``rankings.json``): current, used only for the
bundled fixtures at the default seed, and answering as programs built at start-up do - the
arrays of a program from the table built once, on the first answer that needs them."""

from __future__ import annotations

import orjson
import pytest

from mockserver.resources import bundled_dir
from mockserver.vendors.actionhub import rankings
from mockserver.vendors.actionhub.fixtures import load_programs
from mockserver.vendors.actionhub.model import Volume
from mockserver.vendors.actionhub.programs import Programs
from tests.actionhub.conftest import ActionHubApp


def test_the_rankings_table_is_current():
    stored = orjson.loads(rankings.TABLE.read_bytes())
    fresh = {"witness": rankings.inputs().fingerprint(), "data": rankings.fresh()}
    assert stored == fresh, "stale: run `make precompile`"


def test_the_table_serves_only_the_bundled_programs_at_its_seed(tmp_path):
    bundled = bundled_dir("fixtures") / "actionhub"
    assert rankings.known(rankings.SEED, bundled) is not None
    assert rankings.known(7, bundled) is None
    assert rankings.known(rankings.SEED, None) is None
    assert rankings.known(rankings.SEED, tmp_path) is None


def test_the_table_ranks_at_the_specs_default_min_weight():
    operation = ActionHubApp().runtime.spec.operation("get_segments_segments_get")
    (min_weight,) = [p for p in operation.parameters if p.name == "min_weight"]
    assert min_weight.default == rankings.DEFAULT_MIN_WEIGHT


def test_a_program_from_the_table_builds_its_arrays_on_first_need_and_ranks_as_one_built_now():
    fixtures = load_programs(bundled_dir("fixtures") / "actionhub")
    known = rankings.known(rankings.SEED, bundled_dir("fixtures") / "actionhub")
    tabled = Programs(rankings.SEED, fixtures, Volume(), known=known).fixed
    built = Programs(rankings.SEED, fixtures, Volume()).fixed
    assert tabled.keys() == built.keys() == known.keys()
    for name, program in tabled.items():
        assert not program.built and built[name].built
        assert program.users == built[name].users == len(built[name].world.users)
        for key, ranked in known[name].ranked.items():
            assert program.ranked.get(key) is ranked
            fresh = built[name].rank(*key)
            assert [list(column) for column in (ranked.segments, ranked.counts, ranked.sums)] == [
                column.tolist() for column in (fresh.segments, fresh.counts, fresh.sums)
            ]
        assert not program.built  # answered from the table
        assert program.rank("label", "growth", 0).counts.tolist() == (
            built[name].rank("label", "growth", 0).counts.tolist()
        )
        assert program.built


@pytest.mark.parametrize("min_weight", [0.5, 0.25])
def test_the_default_start_up_answers_as_one_that_builds_its_programs(min_weight, tmp_path):
    copied = tmp_path / "actionhub"
    copied.mkdir()
    for path in (bundled_dir("fixtures") / "actionhub").iterdir():
        (copied / path.name).write_bytes(path.read_bytes())
    default, rebuilt = ActionHubApp(), ActionHubApp(fixtures_dir=tmp_path)
    assert default.runtime.backend.programs.fixed["demo"].ranked.get(("label", "growth", 5000))
    assert rebuilt.runtime.backend.programs.fixed["demo"].built
    for basis in ("labels", "assets"):
        for kind in ("base", "discovery", "growth"):
            for page in (1, 2):
                params = {"segment_basis": basis, "segment_type": kind, "page": page}
                params["min_weight"] = min_weight
                assert default.call("get_segments_segments_get", **params) == rebuilt.call(
                    "get_segments_segments_get", **params
                )
