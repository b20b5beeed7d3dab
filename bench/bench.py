"""The template's benchmarks (not tests): render variants, run them as in
production, and measure. See docs/performance.md.

    uv run python bench/bench.py all          # everything below, written to docs/performance.md
    uv run python bench/bench.py throughput   # req/s per scheme vs. the read path, sign-in latency
    uv run python bench/bench.py profile      # where one request's time goes, statements per request
    uv run python bench/bench.py load         # 64 clients for 60 s, steady and across a restart

`--write` (implied by `all`) puts each table into docs/performance.md with
the date and the machine. Needs wrk (Debian package `wrk`), PostgreSQL and
MariaDB installed as the tests need them (`.ci/run` installs them).
"""

import argparse
import datetime

import breakdown
import load
import throughput
from common import BEFORE, machine, write_section


def stamp() -> str:
    return f"Run on {datetime.date.today().isoformat()}, {machine()}."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    every = commands.add_parser("all")
    t = commands.add_parser("throughput")
    p = commands.add_parser("profile")
    lo = commands.add_parser("load")
    for sub in (t, p, lo):
        sub.add_argument(
            "--write", action="store_true", help="write docs/performance.md"
        )
    for sub in (every, t, p):
        sub.add_argument("--before", default=BEFORE, help="the commit to compare with")
    for sub in (every, t):
        sub.add_argument(
            "--databases", nargs="+", default=["postgresql", "mysql", "sqlite"]
        )
        sub.add_argument("--seconds", type=int, default=4)
        sub.add_argument("--rounds", type=int, default=5)
        sub.add_argument("--samples", type=int, default=40, help="sign-ins timed")
    for sub in (every, p):
        sub.add_argument("--database", default="postgresql")
        sub.add_argument("--requests", type=int, default=2000)
    for sub in (every, lo):
        sub.add_argument(
            "--load-databases",
            dest="load_databases",
            nargs="+",
            default=["postgresql", "mysql"],
        )
        sub.add_argument("--load-seconds", dest="load_seconds", type=int, default=60)
        sub.add_argument("--clients", type=int, default=64)
        sub.add_argument("--outage", type=float, default=5.0)
        sub.add_argument(
            "--keep-logs",
            dest="keep_logs",
            action="store_true",
            help="print the end of the app's log after each run",
        )
    args = parser.parse_args()
    if args.command in {"load", "all"}:
        load_args = argparse.Namespace(
            databases=args.load_databases,
            seconds=args.load_seconds,
            clients=args.clients,
            outage=args.outage,
            keep_logs=args.keep_logs,
        )
    write = args.command == "all" or args.write
    if args.command in {"profile", "all"}:
        result = breakdown.main(args)
        print(result)
        if write:
            write_section("profile", f"{stamp()}\n\n{result}")
    if args.command in {"throughput", "all"}:
        result = throughput.main(args)
        if write:
            write_section("throughput", f"{stamp()}\n\n{result}")
    if args.command in {"load", "all"}:
        result = load.main(load_args)
        if write:
            write_section("load", f"{stamp()}\n\n{result}")


if __name__ == "__main__":
    main()
