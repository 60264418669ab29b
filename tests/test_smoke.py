"""Both APIs answer on one live port with schema-valid JSON."""

from tests.conftest import AUTH, PROGRAM


def test_actionhub_segments_answers(client):
    response = client.get("/segments", headers=PROGRAM)
    assert response.status_code == 200
    assert set(response.json()) == {"items", "total", "page", "size"}


def test_sendgrid_segments_answers(client):
    response = client.get("/v3/marketing/segments", headers=AUTH)
    assert response.status_code == 200
    assert "results" in response.json()
