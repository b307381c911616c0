"""The message thread of an alerter's incident on the incident machine: the alerter's words reach the
responders, the console and the CAD; every message of the thread is one the alerter hears."""

from __future__ import annotations

from alerting.domain import incident as m
from alerting.domain.incident_dispatch import message_log, thread_message
from alerting.domain.vocabulary import CadEvent, ErrorCode, MessageFrom, TimelineEvent
from tests.unit.domain.test_incident import T0, accept, cand, fire, make, of


def test_the_alerters_words_reach_everyone_alerted_or_coming_the_timeline_and_the_cad():
    s = make()
    fire(s, 0, T0, cand("a", 10), cand("b", 20), cand("c", 30))
    accept(s, "a", T0 + 1, 1)
    m.handle(s, m.Declined("c", T0 + 2))
    out = m.handle(s, m.AlerterMessage("He is breathing again", T0 + 3))
    assert [(d.responder_id, d.text, d.sender) for d in of(out, m.SendMessage)] == [
        ("a", "He is breathing again", "alerter"),
        ("b", "He is breathing again", "alerter"),
    ]
    assert of(out, m.Record) == [
        m.Record(
            TimelineEvent.MESSAGE_FROM_ALERTER, {"from": "alerter", "text": "He is breathing again", "to": ["a", "b"]}
        )
    ]
    assert of(out, m.NotifyCad) == [m.NotifyCad(CadEvent.ALERTER_MESSAGE, None, {"text": "He is breathing again"})]


def test_an_alerter_message_before_anyone_is_alerted_still_reaches_the_control_room():
    s = make()
    out = m.handle(s, m.AlerterMessage("Third floor", T0 + 1))
    assert of(out, m.SendMessage) == [] and len(of(out, m.Record)) == 1 and len(of(out, m.NotifyCad)) == 1


def test_an_alerter_message_after_the_end_is_refused():
    s = make()
    m.handle(s, m.Closed(T0 + 1))
    out = m.handle(s, m.AlerterMessage("hello?", T0 + 2))
    assert [d.code for d in of(out, m.Reject)] == [ErrorCode.INCIDENT_ENDED] and len(out) == 1


def test_a_control_message_with_an_alerter_to_hear_it_needs_no_responder():
    s = make()
    fire(s, 0, T0)
    refused = m.handle(s, m.ControlMessage("Stay with him", T0 + 1, "Dana"))
    assert [d.code for d in of(refused, m.Reject)] == [ErrorCode.NO_RECIPIENTS]
    out = m.handle(s, m.ControlMessage("Stay with him", T0 + 1, "Dana", alerter=True))
    assert of(out, m.Reject) == [] and of(out, m.SendMessage) == []
    assert of(out, m.Record)[0].data == {"from": "control", "by": "Dana", "text": "Stay with him", "to": []}


def test_the_alerter_hears_every_message_of_the_thread_and_nothing_else():
    s = make()
    fire(s, 0, T0, cand("a", 10))
    control = m.handle(s, m.ControlMessage("Side door", T0 + 1, "Dana", alerter=True))
    responder = m.handle(s, m.ResponderMessage("a", "Two minutes", T0 + 2))
    alerter = m.handle(s, m.AlerterMessage("Hurry", T0 + 3))
    heard = [t for d in control + responder + alerter if (t := thread_message(d)) is not None]
    assert heard == [
        (MessageFrom.CONTROL, "Side door"),
        (MessageFrom.RESPONDER, "Two minutes"),
        (MessageFrom.ALERTER, "Hurry"),
    ]
    assert [thread_message(d) for d in accept(s, "a", T0 + 4, 1)] == [None, None, None]


def test_the_incidents_messages_list_the_alerters_with_from():
    timeline = [
        {"at": "t1", "event": "message.sent", "from": "control", "by": "Dana", "text": "Side door", "to": ["a"]},
        {"at": "t2", "event": "message.from_alerter", "from": "alerter", "text": "Hurry", "to": ["a"]},
        {"at": "t3", "event": "message.received", "from": "responder", "responder": "a", "text": "Here"},
    ]
    assert [(x["from"], x["text"]) for x in message_log(timeline, None)] == [
        ("control", "Side door"),
        ("alerter", "Hurry"),
        ("responder", "Here"),
    ]
    assert message_log(timeline, None)[1] == {"at": "t2", "from": "alerter", "text": "Hurry", "to": ["a"]}
