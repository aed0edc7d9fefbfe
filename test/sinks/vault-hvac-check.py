"""Cross-check of the Vault sink and emulator with a real third-party client (hvac).

Reads one JSON object on stdin, prints one JSON object on stdout. Input:
  url, mount, path (a record written by scw-gitops), write_path (hvac writes here),
  auth: {"method": "token", "token": ...} | {"method": "approle", "role_id": ..., "secret_id": ...},
  write_data: {...} (what hvac writes at write_path), list_folder (optional).
Secrets come through stdin, never argv.
"""
import json
import sys

import hvac
from hvac import exceptions


def main():
    req = json.load(sys.stdin)
    out = {"hvac_version": getattr(hvac, "__version__", "unknown")}
    client = hvac.Client(url=req["url"])
    auth = req["auth"]
    if auth["method"] == "token":
        client.token = auth["token"]
    else:
        login = client.auth.approle.login(role_id=auth["role_id"], secret_id=auth["secret_id"])
        out["login_policies"] = login["auth"]["policies"]
        out["login_lease_duration"] = login["auth"]["lease_duration"]
    out["authenticated"] = client.is_authenticated()
    kv = client.secrets.kv.v2
    mount = req["mount"]

    latest = kv.read_secret_version(path=req["path"], mount_point=mount)
    out["latest_data"] = latest["data"]["data"]
    out["latest_version"] = latest["data"]["metadata"]["version"]
    out["latest_custom_metadata"] = latest["data"]["metadata"]["custom_metadata"]
    if out["latest_version"] > 1:
        prev = kv.read_secret_version(path=req["path"], version=out["latest_version"] - 1, mount_point=mount)
        out["previous_data"] = prev["data"]["data"]

    meta = kv.read_secret_metadata(path=req["path"], mount_point=mount)
    out["metadata"] = {
        "current_version": meta["data"]["current_version"],
        "custom_metadata": meta["data"]["custom_metadata"],
        "versions": sorted(meta["data"]["versions"].keys()),
        "max_versions": meta["data"]["max_versions"],
    }

    created = kv.create_or_update_secret(
        path=req["write_path"], secret=req["write_data"], cas=0, mount_point=mount
    )
    out["hvac_write_version"] = created["data"]["version"]
    try:
        kv.create_or_update_secret(path=req["write_path"], secret={"x": "y"}, cas=0, mount_point=mount)
        out["cas_conflict"] = None
    except exceptions.InvalidRequest as err:
        out["cas_conflict"] = str(err)

    if req.get("list_folder"):
        listed = kv.list_secrets(path=req["list_folder"], mount_point=mount)
        out["listed"] = listed["data"]["keys"]

    try:
        kv.read_secret_version(path=req["path"] + "-missing", mount_point=mount)
        out["missing"] = "found"
    except exceptions.InvalidPath:
        out["missing"] = "InvalidPath"

    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
