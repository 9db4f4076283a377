"""Serve every recorded source at once, for trying the harvest commands by hand.

    .venv/bin/python -m tests.helpers.demo_server --port 8765 [--slow-page 3]

then, in another shell (see the printed commands):

    paperwire harvest arxiv --base-url http://127.0.0.1:8765/oai2 --set cs --from 2025-03-01
    paperwire harvest hf --base-url http://127.0.0.1:8765 --from 2026-07-31 --to 2026-07-31

Routes: a DERIVED five-page OAI-PMH chain (``tests/helpers/oai_pages.py``; ``--slow-page N`` makes page N
hang for a minute, to kill the harvester while it waits), the real cs.AI announcement feed, the real
arXiv API recordings, four dates of HF daily papers, and the PyGithub recordings.
"""

from __future__ import annotations

import argparse
import time

from tests.helpers import oai_pages
from tests.helpers.paths import FIXTURES_SHARED
from tests.helpers.replay import Recorded, ReplayServer, file_response, load_arxivpy, load_pygithub


def load_all(server: ReplayServer, slow_page: int | None = None) -> None:
    """Add the routes of every recorded source to ``server``."""
    chain = oai_pages.pages(5, 6)
    server.add("/oai2?verb=ListRecords&metadataPrefix=arXiv&set=cs&from=2025-03-01", Recorded(200, [], chain[0][1]))
    for i, (_, data) in enumerate(chain[1:], start=1):
        route = server.add(f"/oai2?verb=ListRecords&resumptionToken={oai_pages.token(i, 6)}", Recorded(200, [], data))
        if slow_page == i + 1:
            route.responses[0].delay = 60.0
            route.responses.append(Recorded(200, [], data))  # only the first time
    feed = FIXTURES_SHARED / "arxiv-rss" / "DERIVED_cs.AI_2025-08-20_repaired_86entries.xml"
    server.add("/atom/cs.AI", file_response(feed, "application/atom+xml"))
    for path in sorted((FIXTURES_SHARED / "arxiv-api").glob("arxivpy_*.json")):
        server.add(*load_arxivpy(path))
    for path in sorted((FIXTURES_SHARED / "hf-papers").glob("*.json")):
        day = path.stem.split("=", 1)[1]
        server.add(f"/api/daily_papers?date={day}", file_response(path, "application/json"))
    server.rewrite["https://api.github.com"] = ""
    for name in ("setUp", "testGetStargazers", "testGetStargazersWithDates"):
        for route_url, recorded in load_pygithub(FIXTURES_SHARED / "github-api" / f"pygithub_Repository.{name}.txt"):
            server.add(route_url, recorded, ignore=["per_page"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--slow-page", type=int, help="make this OAI page (2-5) hang for 60 s the first time")
    args = parser.parse_args()
    server = ReplayServer(port=args.port)
    load_all(server, args.slow_page)
    with server:
        url = server.url
        print(f"replaying on {url}\n"
              f"  paperwire harvest arxiv --base-url {url}/oai2 --set cs --from 2025-03-01\n"
              f"  paperwire harvest listing --base-url {url}/atom --category cs.AI\n"
              f"  paperwire harvest ids --base-url {url}/api/query 1707.08567\n"
              f"  paperwire harvest hf --base-url {url} --api-url {url}/api/query --from 2026-07-31 --to 2026-07-31\n"
              f"  paperwire harvest stars --base-url {url}   (after linking PyGithub/PyGithub or danvk/comparea)",
              flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
