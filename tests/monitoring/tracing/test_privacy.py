from __future__ import annotations

from monitoring.tracing import AttributeFilter


def test_personal_keys_are_dropped_and_software_names_kept() -> None:
    rules = AttributeFilter()
    cleaned = rules.clean({
        "id_number": "520101199001011234",
        "customer.phone": "13800000000",
        "lending.customer.name": "Zhang San",
        "Customer.Mobile": "139",
        "applicant.id-card": "x",
        "db.name": "lending",
        "net.peer.name": "db.local",
        "service.name": "lending",
        "lending.branch": "522629",
        "lending.grade": "B",
        "url.query": "phone=1",
        "http.target": "/v1/quotes?name=Zhang",
        "http.url": "http://svc/v1/quotes?id_number=1",
    })
    assert cleaned == {
        "db.name": "lending",
        "net.peer.name": "db.local",
        "service.name": "lending",
        "lending.branch": "522629",
        "lending.grade": "B",
        "http.target": "/v1/quotes",
        "http.url": "http://svc/v1/quotes",
    }


def test_extra_keys_can_be_added() -> None:
    rules = AttributeFilter(extra_keys=frozenset({"lending.household"}))
    assert rules.clean({"lending.household": "h1", "lending.grade": "A"}) == {"lending.grade": "A"}
