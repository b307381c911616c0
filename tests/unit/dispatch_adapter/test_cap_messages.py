"""CAP Update and Cancel read from published messages (tests/fixtures/cad/cap): the incident they
name by `references`, only the fields they give, their time, and each way one can be broken."""

from __future__ import annotations

from datetime import datetime

import pytest

from dispatch_adapter.mappings import Action, MappingError, read_cap
from tests.unit.dispatch_adapter.samples import raw

EARTHQUAKE = "cap/Oasis_EarthquakeReport.xml"  # OASIS CAP 1.2 A.3: an Update
THUNDERSTORM = "cap/Oasis_ThunderstormWarning.xml"  # OASIS CAP 1.2 A.2: an Alert with a polygon only
WIND = "cap/PelmorexNAADS_WindWarning.xml"  # NAAD: an Update referencing its whole thread


def edited(name: str, old: str, new: str) -> bytes:
    body = raw(name)
    assert old.encode() in body
    return body.replace(old.encode(), new.encode())


def refusal(body: bytes) -> MappingError:
    with pytest.raises(MappingError) as caught:
        read_cap(body)
    return caught.value


def test_the_oasis_update_names_the_earlier_alert_and_gives_its_changes():
    message = read_cap(raw(EARTHQUAKE))
    assert message.action == Action.UPDATE and message.report is None
    assert message.cad_refs == ("TRI13970876.1",) and message.ref_field == "references"
    assert message.sender == "trinet@caltech.edu" and message.message_id == "TRI13970876.2"
    assert message.revision_at == datetime.fromisoformat("2003-06-11T20:56:00-07:00").timestamp()
    assert message.changes == {
        "lat": 32.9525,
        "lon": -115.5527,
        "category": "Earthquake",
        "address": "1 mi. WSW of Brawley, CA; 11 mi. N of El Centro, CA; 30 mi. E of OCOTILLO (quarry); "
        "1 mi. N of the Imperial Fault",
        "notes": "A minor earthquake measuring 3.4 on the Richter scale occurred near Brawley, California at "
        "8:30 PM Pacific Daylight Time on Wednesday, June 11, 2003. (This event has now been reviewed by a "
        "seismologist)",
    }
    assert message.centroid_of is None


def test_an_update_lists_every_earlier_message_of_its_sender_in_order():
    message = read_cap(raw(WIND))
    assert message.cad_refs == (
        "urn:oid:2.49.0.1.124.0642871265.2019",
        "urn:oid:2.49.0.1.124.2407362607.2019",
        "urn:oid:2.49.0.1.124.2177735585.2019",
    )
    assert message.changes["category"] == "wind" and message.changes["address"] == "Îles-de-la-Madeleine"
    assert message.changes["notes"].startswith("Des vents forts")  # the first info block is read


def test_a_polygon_only_area_gives_its_centroid_marked_as_such():
    alert = read_cap(raw(THUNDERSTORM))
    assert alert.action == Action.REPORT and alert.centroid_of == "info.area.circle"
    assert alert.report is not None
    # The centroid of the warning's quadrilateral over Tuolumne, Calaveras and Alpine counties.
    assert (alert.report.lat, alert.report.lon) == pytest.approx((38.4840, -119.9346), abs=1e-4)
    update = read_cap(raw(WIND))
    assert update.centroid_of == "info.area.circle"
    assert (update.changes["lat"], update.changes["lon"]) == pytest.approx((47.4994, -61.6872), abs=1e-4)


def test_references_from_another_sender_name_nothing_of_ours():
    body = edited(EARTHQUAKE, "<sender>trinet@caltech.edu</sender>", "<sender>cad@yas.nhs.uk</sender>")
    error = refusal(body)
    assert error.field == "references" and "cad@yas.nhs.uk" in error.problem


def test_entries_of_other_senders_are_passed_over():
    body = edited(
        EARTHQUAKE,
        "<references>trinet@caltech.edu,",
        "<references>usgs@usgs.gov,NC51234,2003-06-11T20:31:00-07:00 trinet@caltech.edu,",
    )
    assert read_cap(body).cad_refs == ("TRI13970876.1",)


@pytest.mark.parametrize(
    "references, problem",
    [
        ("TRI13970876.1", "expected 'sender,identifier,sent'"),
        ("trinet@caltech.edu,TRI13970876.1", "expected 'sender,identifier,sent'"),
        ("trinet@caltech.edu,,2003-06-11T20:30:00-07:00", "expected 'sender,identifier,sent'"),
    ],
)
def test_malformed_references_are_refused(references, problem):
    body = edited(
        EARTHQUAKE,
        "trinet@caltech.edu,TRI13970876.1,2003-06-11T20:30:00-07:00",
        references,
    )
    error = refusal(body)
    assert error.field == "references" and problem in error.problem


def test_an_update_without_references_is_refused():
    body = edited(
        EARTHQUAKE,
        "<references>trinet@caltech.edu,TRI13970876.1,2003-06-11T20:30:00-07:00</references>",
        "",
    )
    error = refusal(body)
    assert error.field == "references" and error.problem.startswith("missing")


def test_an_update_without_info_changes_nothing_but_is_read():
    start, end = raw(EARTHQUAKE).index(b"<info>"), raw(EARTHQUAKE).index(b"</info>") + len(b"</info>")
    message = read_cap(raw(EARTHQUAKE)[:start] + raw(EARTHQUAKE)[end:])
    assert message.action == Action.UPDATE and message.changes == {}


def test_an_update_without_an_area_leaves_the_point():
    body = raw(EARTHQUAKE)
    start, end = body.index(b"<area>"), body.index(b"</area>") + len(b"</area>")
    changes = read_cap(body[:start] + body[end:]).changes
    assert "lat" not in changes and "lon" not in changes and "address" not in changes
    assert changes["category"] == "Earthquake"


def test_an_update_with_an_area_but_no_point_is_refused():
    error = refusal(edited(EARTHQUAKE, "<circle>32.9525,-115.5527 0</circle>", ""))
    assert error.field == "info.area.circle"


def test_an_update_is_checked_as_a_patch_is():
    error = refusal(edited(EARTHQUAKE, "<circle>32.9525,-115.5527 0</circle>", "<circle>95,-115.5527 0</circle>"))
    assert error.field == "info.area.circle" and "less than or equal to 90" in error.problem
    flags = edited(
        EARTHQUAKE,
        "<parameter>",
        "<parameter><valueName>flags</valueName><value>unsafe scene</value></parameter><parameter>",
    )
    assert refusal(flags).field == "info.parameter[flags]"


def test_a_cancel_names_the_incident_and_gives_its_reason():
    body = edited(EARTHQUAKE, "<msgType>Update</msgType>", "<msgType>Cancel</msgType>")
    message = read_cap(body)
    assert message.action == Action.CANCEL and message.cad_refs == ("TRI13970876.1",)
    assert message.reason == "EQ 3.4 Imperial County CA"  # no note: the headline
    noted = edited(EARTHQUAKE, "<msgType>Update</msgType>", "<msgType>Cancel</msgType><note>Duplicate call</note>")
    assert read_cap(noted).reason == "Duplicate call"
    start, end = body.index(b"<info>"), body.index(b"</info>") + len(b"</info>")
    assert read_cap(body[:start] + body[end:]).reason == "cancelled by CAD"


@pytest.mark.parametrize(
    "sent, problem",
    [
        ("2003-06-11T20:56:00", "needs its offset from UTC"),
        ("yesterday", "not an RFC 3339 date-time"),
        ("2003-06-11T20:56:00-25:00", "not an RFC 3339 date-time"),
        ("0001-01-01T00:00:00+23:59", "not a time a document was written"),
        ("9999-12-31T23:59:59-23:59", "not a time a document was written"),
    ],
)
def test_a_sent_time_that_cannot_order_messages_is_refused(sent, problem):
    error = refusal(edited(EARTHQUAKE, "2003-06-11T20:56:00-07:00</sent>", f"{sent}</sent>"))
    assert error.field == "sent" and problem in error.problem


def test_cap_says_minus_zero_for_utc():
    body = edited(EARTHQUAKE, "2003-06-11T20:56:00-07:00</sent>", "2003-06-12T03:56:00-00:00</sent>")
    assert read_cap(body).revision_at == read_cap(raw(EARTHQUAKE)).revision_at


@pytest.mark.parametrize(
    "polygon, problem",
    [
        ("38.47,-120.14 38.34,-119.95 38.47,-120.14", "at least four points"),
        ("38.47,-120.14 38.34,-119.95 38.52,-119.74 38.62,-119.89", "the first and the last the same"),
        ("38.47,-120.14 38.34 -119.95 38.52,-119.74 38.47,-120.14", "expected 'lat,lon' pairs"),
        ("38.47,-120.14 38.47,-120.14 38.47,-120.14 38.47,-120.14", "encloses no area"),
        ("38.47,-120.14 98.34,-119.95 38.52,-119.74 38.47,-120.14", "not a latitude and longitude in range"),
    ],
)
def test_a_polygon_that_is_not_one_is_refused(polygon, problem):
    body = edited(
        THUNDERSTORM,
        "38.47,-120.14 38.34,-119.95 38.52,-119.74 38.62,-119.89 38.47,-120.14",
        polygon,
    )
    error = refusal(body)
    assert error.field == "info.area.polygon" and problem in error.problem
