"""An EIDO restates its incident: ordered by its lastUpdateTimeStamp, ended by an incident status of
Cancelled or Closed (NENA's Incident Status registry). Read from NENA's samples and our own."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from dispatch_adapter.mappings import Action, MappingError, map_eido, read_eido
from tests.unit.dispatch_adapter.samples import doc, dumps, raw

SAMPLE_2020 = "nena/Sample_EIDO.json"
STREET = "eido_street_point.json"


def ended(name: str, *statuses: str, keep_location: bool = True) -> bytes:
    d = doc(name)
    d["incidentComponent"][0]["incidentStatusCommonRegistryText"] = list(statuses)
    if not keep_location:
        for key in ("locationComponent", "locationInformationComponent"):
            d.pop(key, None)
    return dumps(d)


def test_the_2020_sample_restates_its_incident_at_its_capitalised_time():
    message = read_eido(raw(SAMPLE_2020))
    assert message.action == Action.RESTATE
    assert message.cad_refs == ("urn:emergency:uid:incidentid:0:psap.allegheny.pa.us",)
    assert message.ref_field == "incidentTrackingIdentifier"
    assert message.revision_at == datetime.fromisoformat("2020-10-29T18:40:04.337+00:00").timestamp()
    assert message.changes == {"lat": 40.441345, "lon": -80.000266, "category": "10-101"}


def test_a_restatement_changes_what_the_incident_holds():
    message = read_eido(raw(STREET))
    assert message.revision_at == datetime.fromisoformat("2026-03-14T09:26:53.120+00:00").timestamp()
    assert message.changes == {
        "lat": 53.80012,
        "lon": -1.54987,
        "category": "09-E-01",
        "address": "Outside the Queens Hotel, City Square, Leeds, LS1 1PJ",
        "notes": "Male, 60s, collapsed at the taxi rank. Bystander CPR in progress.",
    }


@pytest.mark.parametrize(
    "statuses, action",
    [
        (["Closed"], Action.CLOSE),
        (["Cancelled"], Action.CANCEL),
        (["ResourcesOnscene", "Closed"], Action.CLOSE),
        (["cancelled"], Action.CANCEL),
    ],
)
def test_a_closed_or_cancelled_status_ends_the_incident_without_needing_a_location(statuses, action):
    message = read_eido(ended(STREET, *statuses, keep_location=False))
    assert message.action == action and message.report is None
    assert message.cad_refs == ("urn:emergency:uid:incidentid:7f3c1a90e2:cad.yas.nhs.uk",)
    assert message.ref_field == "incidentComponent[0].incidentTrackingIdentifier"
    if action == Action.CANCEL:
        assert message.reason is not None and "EIDO incident status" in message.reason
    with pytest.raises(MappingError) as caught:
        map_eido(ended(STREET, *statuses))  # it states no incident to report
    assert caught.value.field == "incidentComponent[0].incidentTrackingIdentifier"


@pytest.mark.parametrize("statuses", [["Active"], ["ReOpened"], ["ResourcesEnroute"], [], "Closed but pending"])
def test_other_statuses_restate_the_incident(statuses):
    d = doc(STREET)
    d["incidentComponent"][0]["incidentStatusCommonRegistryText"] = statuses
    assert read_eido(dumps(d)).action == Action.RESTATE


def test_an_eido_without_a_time_cannot_be_ordered():
    d = doc(STREET)
    del d["lastUpdateTimeStamp"]
    assert read_eido(dumps(d)).revision_at is None


@pytest.mark.parametrize(
    "value, problem",
    [
        ("2026-03-14T09:26:53.120", "needs its offset from UTC"),
        ("14/03/2026 09:26", "not an RFC 3339 date-time"),
        (1773480413, "must be an RFC 3339 date-time"),
    ],
)
def test_a_time_that_cannot_order_documents_is_refused_naming_it(value, problem):
    d = doc(STREET)
    d["lastUpdateTimeStamp"] = value
    with pytest.raises(MappingError) as caught:
        read_eido(json.dumps(d).encode())
    assert caught.value.field == "lastUpdateTimeStamp" and problem in caught.value.problem
    d = doc(SAMPLE_2020)
    d["LastUpdateTimeStamp"] = value
    with pytest.raises(MappingError) as caught:
        read_eido(json.dumps(d).encode())
    assert caught.value.field == "LastUpdateTimeStamp"
