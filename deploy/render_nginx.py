#!/usr/bin/env python3
"""Fill the nginx template (deploy/nginx/terrain-commun.conf) for one deployment.

    python3 deploy/render_nginx.py --server-name terrain.example.org \\
        --upstream 127.0.0.1:8000 --static-root /srv/terrain-commun/staticfiles \\
        --certificate /etc/letsencrypt/live/terrain.example.org/fullchain.pem \\
        --certificate-key /etc/letsencrypt/live/terrain.example.org/privkey.pem \\
        > /etc/nginx/conf.d/terrain-commun.conf

Several --upstream for several application servers. Standard library only: it runs
before any virtualenv exists.
"""

import argparse
import getpass
import os
import re
import sys
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "nginx" / "terrain-commun.conf"


def render(
    *,
    server_name: str,
    upstreams: list[str],
    static_root: str,
    certificate: str,
    certificate_key: str,
    cache_dir: str = "/var/cache/nginx/terrain-commun",
    http_port: int = 80,
    https_port: int = 443,
) -> str:
    words = {
        "server_name": server_name,
        "static_root": static_root,
        "certificate": certificate,
        "certificate_key": certificate_key,
        "cache_dir": cache_dir,
        **{f"upstream {n}": u for n, u in enumerate(upstreams, 1)},
    }
    for name, value in words.items():
        # A value goes into the file as one nginx word: nothing may end a directive.
        if not re.fullmatch(r"[^\s;{}'\"#$]+", value):
            raise ValueError(f"{name}: {value!r} is empty or not a single word")
    if not upstreams:
        raise ValueError("upstream: at least one application server")
    values = {
        "SERVER_NAME": server_name,
        "UPSTREAM_SERVERS": "\n".join(f"    server {u};" for u in upstreams),
        "STATIC_ROOT": static_root.rstrip("/"),
        "TLS_CERTIFICATE": certificate,
        "TLS_CERTIFICATE_KEY": certificate_key,
        "CACHE_DIR": cache_dir,
        "HTTP_PORT": str(http_port),
        "HTTPS_PORT": str(https_port),
        "HTTPS_PORT_SUFFIX": "" if https_port == 443 else f":{https_port}",
    }
    text = TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    left = re.findall(r"@[A-Z_]+@", text)
    if left:
        raise ValueError(f"placeholders left unfilled: {', '.join(left)}")
    return text


def private_instance(directory: Path, site: str) -> Path:
    """nginx.conf for an nginx of one's own (tests, `make loadtest`): in the
    foreground, every file under `directory`, the rendered `site` included."""
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    (directory / "terrain-commun.conf").write_text(site)
    # As root, nginx's workers would switch to "nobody", who may not read the
    # caller's private directories.
    user = f"user {getpass.getuser()};" if os.geteuid() == 0 else ""
    config = directory / "nginx.conf"
    config.write_text(f"""daemon off;
{user}
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log notice;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {directory}/access.log;
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    include {directory}/terrain-commun.conf;
}}
""")
    return config


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server-name", required=True)
    parser.add_argument(
        "--upstream", action="append", required=True, metavar="HOST:PORT"
    )
    parser.add_argument("--static-root", required=True)
    parser.add_argument("--certificate", required=True)
    parser.add_argument("--certificate-key", required=True)
    parser.add_argument("--cache-dir", default="/var/cache/nginx/terrain-commun")
    parser.add_argument("--http-port", type=int, default=80)
    parser.add_argument("--https-port", type=int, default=443)
    parser.add_argument(
        "--private",
        type=Path,
        metavar="DIR",
        help="write DIR/nginx.conf for an nginx of one's own (`nginx -p DIR -c "
        "DIR/nginx.conf`) instead of printing the site",
    )
    args = parser.parse_args()
    try:
        text = render(
            server_name=args.server_name,
            upstreams=args.upstream,
            static_root=args.static_root,
            certificate=args.certificate,
            certificate_key=args.certificate_key,
            cache_dir=args.cache_dir,
            http_port=args.http_port,
            https_port=args.https_port,
        )
    except ValueError as error:
        print(f"render_nginx: {error}", file=sys.stderr)
        return 2
    if args.private:
        print(private_instance(args.private.resolve(), text))
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
