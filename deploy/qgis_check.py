#!/usr/bin/python3
"""QGIS reads the OGC `sites` collection as a layer: its feature count beside the API's.

Run by `make qgis-check` with Debian's python3 (python3-qgis), headless
(QT_QPA_PLATFORM=offscreen), against a server already serving BASE_URL.
Usage: deploy/qgis_check.py BASE_URL EMAIL PASSWORD
"""

import json
import os
import sys
import urllib.request

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (  # noqa: E402 (after the platform is chosen)
    Qgis,
    QgsApplication,
    QgsDataSourceUri,
    QgsVectorLayer,
)


def api_count(base: str, email: str, password: str) -> int:
    """The REST API's count of the same user's sites."""
    if not base.startswith("http"):
        raise SystemExit(f"qgis_check: not an HTTP address: {base}")
    request = urllib.request.Request(  # noqa: S310 (checked above)
        f"{base}/api/v1/auth/token",
        data=json.dumps({"email": email, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (our server)
        token = json.load(response)["token"]
    request = urllib.request.Request(  # noqa: S310 (checked above)
        f"{base}/api/v1/sites/?page_size=1", headers={"Authorization": f"Token {token}"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return json.load(response)["count"]


def qgis_count(base: str, email: str, password: str) -> tuple[int, int, str]:
    """(features read, provider's count, error) of the OAPIF layer, HTTP Basic."""
    uri = QgsDataSourceUri()
    uri.setParam("url", f"{base}/ogc/")
    uri.setParam("typename", "sites")
    uri.setUsername(email)
    uri.setPassword(password)
    layer = QgsVectorLayer(uri.uri(False), "sites", "OAPIF")
    if not layer.isValid():
        return -1, -1, layer.error().summary() or "invalid layer"
    read = sum(1 for _feature in layer.getFeatures())
    return read, layer.featureCount(), ""


def main() -> None:
    base, email, password = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
    app = QgsApplication([], False)
    app.initQgis()
    read, counted, error = qgis_count(base, email, password)
    expected = api_count(base, email, password)
    print(f"QGIS {Qgis.version()} OAPIF layer 'sites' as {email}")
    print(f"  QGIS features read: {read} (provider featureCount: {counted})")
    print(f"  REST API count:     {expected}")
    if error:
        print(f"  error: {error}")
    ok = read == expected
    print("qgis-check: OK" if ok else "qgis-check: MISMATCH", flush=True)
    # No exitQgis(): headless QGIS may crash while tearing down; the result is out.
    os._exit(0 if ok else 1)


if __name__ == "__main__":
    main()
