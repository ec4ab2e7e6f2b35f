#!/usr/bin/python3
"""Median time of each GetFeed stage, from the server's own debug traces.

Asks a running server for one feed per user, one call at a time: first a
pass that warms the caches with these users' candidates, then the same
users again with debug=true, whose traces time every stage. One call at a
time keeps the stages from waiting on each other for a core, so two
binaries compare by stage even on a busy machine; run them alternately.

  /usr/bin/python3 bench/stage_times.py --target=127.0.0.1:50100 \
      --users=300 --user_count=100000 --seed=1

With --cold there is no warming pass: each user's first call is timed, as
a cache that no feed has warmed answers it (the first seconds after a
start).

Users are u<000000> ids as bench/run.sh's catalogs name them. Stages whose
median is under --min_us are left out. Needs the build's Python stubs
(the zhongcao_python_stubs target; --stubs, default build/python).
"""

import argparse
import os
import random
import statistics
import sys


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--target", required=True)
    p.add_argument("--users", type=int, default=300)
    p.add_argument("--user_count", type=int, default=100000)
    p.add_argument("--user_prefix", default="u")
    p.add_argument("--id_width", type=int, default=6)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--count", type=int, default=20)
    p.add_argument("--min_us", type=float, default=20)
    p.add_argument("--cold", action="store_true",
                   help="time each user's first call: no warming pass")
    p.add_argument("--stubs", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "build", "python"))
    return p.parse_args()


def main():
    args = parse_args()
    sys.path.insert(0, args.stubs)
    import grpc  # noqa: E402
    from zhongcao.v1 import recommend_pb2, recommend_pb2_grpc  # noqa: E402

    stub = recommend_pb2_grpc.RecommendServiceStub(grpc.insecure_channel(args.target))
    rng = random.Random(args.seed)
    users = ["%s%0*d" % (args.user_prefix, args.id_width, rng.randrange(args.user_count))
             for _ in range(args.users)]
    if not args.cold:
        for user in users:
            stub.GetFeed(recommend_pb2.GetFeedRequest(user_id=user, count=args.count))
    micros = {}
    out = {}
    for user in users:
        response = stub.GetFeed(
            recommend_pb2.GetFeedRequest(user_id=user, count=args.count, debug=True))
        for stage in response.trace:
            micros.setdefault(stage.stage, []).append(stage.micros)
            out.setdefault(stage.stage, []).append(stage.candidates_out)
    def at(values, q):  # the q-quantile, nearest rank
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    # The candidates a stage passes on: what every later stage pays for.
    print("%-32s %10s %10s %8s %12s %8s %8s" % ("stage", "median us", "mean us", "feeds",
                                                "median out", "p90 us", "p99 us"))
    for stage, values in micros.items():
        if statistics.median(values) < args.min_us:
            continue
        print("%-32s %10.0f %10.0f %8d %12.0f %8.0f %8.0f" % (
            stage, statistics.median(values), statistics.mean(values), len(values),
            statistics.median(out[stage]), at(values, 0.9), at(values, 0.99)))


if __name__ == "__main__":
    main()
