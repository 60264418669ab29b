"""A FastAPI reference service with ActionHub's parameter surface, to compare 422 bodies with.

It declares the parameters the way the vendor's FastAPI service does (enums, a ``program-id``
Header, fastapi-pagination's ``Params`` dependency) and answers nothing interesting: only its
validation errors matter.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import Depends, FastAPI, Header, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse
from fastapi_pagination import Params


class MatchType(str, Enum):
    any = "any"
    all = "all"


class SegmentType(str, Enum):
    growth = "growth"
    base = "base"
    discovery = "discovery"


class SegmentBasis(str, Enum):
    labels = "labels"
    assets = "assets"


MIN_WEIGHT = Query(0.5, ge=0.0, le=1.0)

app = FastAPI()


@app.get("/segment", response_class=PlainTextResponse)
def get_segment(
    asset_ids: str | None = None,
    labels: str | None = None,
    action_types: str | None = None,
    match_type: MatchType = MatchType.any,
    segment_type: SegmentType = SegmentType.growth,
    min_weight: float = MIN_WEIGHT,
    force_refresh: bool = False,
    program_id: str = Header(...),
) -> str:
    if not any(x.strip() for x in (asset_ids or "").split(",")) and not any(
        x.strip() for x in (labels or "").split(",")
    ):
        raise RequestValidationError(
            [
                {
                    "type": "missing",
                    "loc": ("query", "asset_ids"),
                    "msg": "Either asset_ids or labels must be provided",
                    "input": None,
                }
            ]
        )
    return ""


@app.get("/segments")
def get_segments(
    *,
    segment_type: SegmentType = SegmentType.growth,
    segment_basis: SegmentBasis = SegmentBasis.labels,
    min_weight: float = MIN_WEIGHT,
    force_refresh: bool = False,
    program_id: Annotated[str, Header()],
    params: Annotated[Params, Depends()],
) -> dict:
    return {"items": [], "total": 0, "page": params.page, "size": params.size}
