"""A CAD's new incident without a callback is written by one statement, without BEGIN and COMMIT
(`UnitOfWork.one_statement`); a unit of work in that mode that is left anything more to write
refuses loudly rather than write it outside the statement."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from alerting.services.unit_of_work import reading, unit_of_work
from alerting.store.models import CadMessageRef
from alerting.timefmt import utc
from tests.support.clients import CENTRE, make_trust


async def test_more_to_write_than_the_one_statement_is_refused(stack):
    services = stack.server.config.app.state.services
    trust = await make_trust(stack)
    r = await trust.cad.post(
        "/v1/incidents",
        json={"cad_ref": "OS-1", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01", "location_type": "public"},
    )
    assert r.status_code == 201, r.text
    incident_id = r.json()["id"]
    published = []

    async def publish() -> None:
        published.append(incident_id)

    with pytest.raises(RuntimeError, match="one-statement"):
        async with unit_of_work(services) as uow:
            await uow.one_statement()
            uow.session.add(
                CadMessageRef(trust_id=trust.id, identifier="OS-MSG", incident_id=incident_id, created_at=utc(0))
            )
            uow.after_commit(publish)
    async with reading(services) as session:
        found = (await session.execute(select(CadMessageRef).where(CadMessageRef.identifier == "OS-MSG"))).first()
    assert found is None and published == []
    await trust.close()
