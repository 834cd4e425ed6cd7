"""An Open311 GeoReport v2 client written from the public specification alone
(wiki.open311.org/GeoReport_v2), with plain httpx: nothing here comes from civicdesk's code.

    python tests/open311/client_from_spec.py BASE_URL API_KEY

BASE_URL is the endpoint, e.g. http://127.0.0.1:8000/open311/v2. It discovers the endpoint,
lists the services, reads a definition, posts a request (form-encoded), follows the token if the
server answers with one, reads the request back, and prints what it found as JSON.
Exits non-zero, with the reason, on anything that does not follow the specification.
"""

from __future__ import annotations

import json
import sys
import time

import httpx


class SpecError(Exception):
    pass


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise SpecError(message)


def get_list(client: httpx.Client, path: str, **params: str) -> list[dict]:
    response = client.get(path, params=params)
    expect(response.status_code == 200, f"GET {path}: HTTP {response.status_code} {response.text}")
    body = response.json()
    expect(isinstance(body, list), f"GET {path}: a JSON response is an array")
    return body


def pick_service(services: list[dict]) -> dict:
    for service in services:
        for field in ("service_code", "service_name", "metadata", "type"):
            expect(field in service, f"service without {field}: {service}")
        expect(service["type"] in ("realtime", "batch", "blackbox"), "bad service type")
    simple = [s for s in services if not s["metadata"]]
    expect(bool(simple), "no service without extra attributes to post to")
    return simple[0]


def post_request(client: httpx.Client, api_key: str, service: dict) -> dict:
    form = {
        "api_key": api_key,
        "service_code": service["service_code"],
        "lat": "30.2741",
        "long": "120.1551",
        "address_string": "Wensan Road 100",
        "description": "Reported by an outside Open311 client written from the specification.",
    }
    response = client.post("/requests.json", data=form)
    expect(response.status_code in (200, 201), f"POST: HTTP {response.status_code} {response.text}")
    body = response.json()
    expect(isinstance(body, list) and len(body) == 1, "POST answers a one-element array")
    answer = body[0]
    expect("service_request_id" in answer or "token" in answer, "POST gives an id or a token")
    return answer


def resolve(client: httpx.Client, answer: dict) -> str:
    if answer.get("service_request_id"):
        return str(answer["service_request_id"])
    # GeoReport: a token is answered with the id once the request has been processed.
    for _ in range(100):
        tokens = get_list(client, f"/tokens/{answer['token']}.json")
        if tokens and tokens[0].get("service_request_id"):
            return str(tokens[0]["service_request_id"])
        time.sleep(0.1)
    expect(False, "token not processed within 10 s")
    return ""


def run(base_url: str, api_key: str) -> dict:
    with httpx.Client(base_url=base_url.rstrip("/"), timeout=10) as client:
        discovery = client.get("/discovery.json").json()
        expect("endpoints" in discovery, "discovery lists its endpoints")
        service = pick_service(get_list(client, "/services.json"))
        definition = client.get(f"/services/{service['service_code']}.json").json()
        expect(definition.get("service_code") == service["service_code"], "definition's code")
        answer = post_request(client, api_key, service)
        request_id = resolve(client, answer)
        found = get_list(client, f"/requests/{request_id}.json")
        expect(len(found) == 1, "GET /requests/{id} answers a one-element array")
        record = found[0]
        expect(record["service_request_id"] == request_id, "the id read back")
        expect(record["service_code"] == service["service_code"], "the service read back")
        expect(record["status"] in ("open", "closed"), "status is open or closed")
        listed = get_list(client, "/requests.json", service_code=service["service_code"])
        expect(request_id in {r["service_request_id"] for r in listed}, "listed by service")
        refused = client.post("/requests.json", data={"service_code": service["service_code"]})
        expect(refused.status_code in (400, 403), "a POST without api_key is refused")
        expect("code" in refused.json()[0], "errors are [{code, description}]")
        return {"service_request_id": request_id, "status": record["status"],
                "service_code": record["service_code"], "token": answer.get("token")}  # fmt: skip


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        print(json.dumps(run(argv[1], argv[2]), ensure_ascii=False))
    except (SpecError, httpx.HTTPError, ValueError, KeyError) as exc:
        print(f"not a conforming GeoReport v2 exchange: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
