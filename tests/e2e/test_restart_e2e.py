#!/usr/bin/python3
"""End-to-end tests of durability across restarts of a real zhongcao_server:
a clean stop (SIGTERM, which saves an index snapshot) must bring back the same
state and the same feeds; a crash (SIGKILL) right after writes were
acknowledged must lose none of them.

  ZHONGCAO_SERVER=... ZHONGCAO_PYTHON_STUBS=... /usr/bin/python3 test_restart_e2e.py
"""

import os
import random
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import zhongcao_e2e as e2e  # noqa: E402
from zhongcao_e2e import (  # noqa: E402
    NOTE, PRODUCT, VIDEO, grpc, ids_of, ingest_pb2, recommend_pb2, types_pb2)

NOT_FOUND = grpc.StatusCode.NOT_FOUND
STATUS_COUNTS = ("items", "users", "creators", "indexed_vectors", "dimension")


class RestartE2E(e2e.RpcAssertions, unittest.TestCase):

    def setUp(self):
        self.dirs = e2e.TempDirs("zhongcao-e2e-restart-")
        self.server = e2e.Server(self.dirs.data, self.dirs.logs)
        self.now_ms = int(time.time() * 1000)
        self.live = {}       # item id -> Item, what must be stored
        self.users = {}
        self.creators = {}
        self.seen = {}       # user id -> set of item ids with events
        self.deleted = set()

    def tearDown(self):
        try:
            self.server.kill()
        finally:
            if os.environ.get("ZHONGCAO_E2E_KEEP"):
                sys.stderr.write("kept %s\n" % self.dirs.root)
            else:
                self.dirs.cleanup()

    # -- helpers ---------------------------------------------------------------

    @property
    def stubs(self):
        return self.server.stubs

    def restart_clean(self):
        rc = self.server.stop()
        self.assertEqual(rc, 0, "SIGTERM shutdown failed:\n" + self.server.log())
        self.assertIn("shutting down", self.server.log())
        return self.server.start()

    def restart_after_crash(self):
        self.server.kill()
        return self.server.start()

    def upsert_items(self, items):
        response = self.stubs.ingest.UpsertItems(
            ingest_pb2.UpsertItemsRequest(items=items), timeout=e2e.RPC_TIMEOUT_S)
        self.assertEqual(response.upserted, len(items))
        for item in items:
            self.live[item.id] = item
            self.deleted.discard(item.id)

    def upsert_users(self, users):
        response = self.stubs.ingest.UpsertUsers(
            ingest_pb2.UpsertUsersRequest(users=users), timeout=e2e.RPC_TIMEOUT_S)
        self.assertEqual(response.upserted, len(users))
        for user in users:
            self.users[user.id] = user

    def upsert_creators(self, creators):
        response = self.stubs.ingest.UpsertCreators(
            ingest_pb2.UpsertCreatorsRequest(creators=creators), timeout=e2e.RPC_TIMEOUT_S)
        self.assertEqual(response.upserted, len(creators))
        for creator in creators:
            self.creators[creator.id] = creator

    def delete_items(self, ids):
        response = self.stubs.ingest.DeleteItems(
            ingest_pb2.DeleteItemsRequest(item_ids=ids), timeout=e2e.RPC_TIMEOUT_S)
        self.assertEqual(response.deleted, len([i for i in ids if i in self.live]))
        for item_id in ids:
            self.live.pop(item_id, None)
            self.deleted.add(item_id)

    def record(self, user_id, item_ids, event_type=types_pb2.EVENT_TYPE_IMPRESSION):
        events = [types_pb2.Event(user_id=user_id, item_id=i, type=event_type,
                                  timestamp_ms=self.now_ms - 60 * 1000) for i in item_ids]
        response = self.stubs.ingest.RecordEvents(
            ingest_pb2.RecordEventsRequest(events=events), timeout=e2e.RPC_TIMEOUT_S)
        self.assertEqual(response.recorded, len(events))
        self.seen.setdefault(user_id, set()).update(item_ids)

    def ingest_catalog(self, seed):
        rng = random.Random(seed)
        catalog = e2e.Catalog(rng, self.now_ms)
        self.upsert_creators(catalog.creators)
        for batch in e2e.chunks(catalog.items, 50):
            self.upsert_items(batch)
        self.upsert_users([
            types_pb2.User(id="u-r1", embedding=e2e.unit_vector(rng), region="cn-sh",
                           following_creator_ids=["cr-01"],
                           blocked_creator_ids=[e2e.BLOCKED_CREATOR]),
            types_pb2.User(id="u-r2", embedding=e2e.unit_vector(rng), region="sg"),
        ])
        # Counters that move scores for everyone, and a few seen items.
        self.record("u-r2", ["n-001", "n-002", "v-003", "p-04"], types_pb2.EVENT_TYPE_CLICK)
        self.record("u-r2", ["n-002", "p-04"], types_pb2.EVENT_TYPE_LIKE)
        self.record("u-r2", ["p-04", "p-06"], types_pb2.EVENT_TYPE_PURCHASE)
        self.record("u-r1", ["n-004", "n-005", "v-006"])
        return rng

    def feed_request(self, user_id, count=20, region="cn-sh", token=""):
        return recommend_pb2.GetFeedRequest(
            user_id=user_id, context=e2e.context(self.now_ms, region), count=count,
            page_token=token)

    def feed(self, user_id, count=20, region="cn-sh", token=""):
        return self.stubs.recommend.GetFeed(self.feed_request(user_id, count, region, token),
                                            timeout=e2e.RPC_TIMEOUT_S)

    def related(self, item_id, count=10):
        return self.stubs.recommend.GetRelated(
            recommend_pb2.GetRelatedRequest(item_id=item_id, count=count,
                                            context=e2e.context(self.now_ms)),
            timeout=e2e.RPC_TIMEOUT_S)

    def rank(self, user_id, product_ids):
        return self.stubs.recommend.RankProducts(
            recommend_pb2.RankProductsRequest(user_id=user_id, product_ids=product_ids,
                                              context=e2e.context(self.now_ms, "cn-sh")),
            timeout=e2e.RPC_TIMEOUT_S)

    def snapshot_of_reads(self):
        """The answers of a fixed set of read requests."""
        page1 = self.feed("u-r1")
        return {
            "feed u-r1": page1,
            "feed u-r1 page 2": self.feed("u-r1", token=page1.next_page_token),
            "feed u-r2 sg": self.feed("u-r2", count=15, region="sg"),
            "cold start": self.feed("nobody-at-all", count=15, region=""),
            "related n-020": self.related("n-020", 15),
            "rank": self.rank("u-r1", ["p-04", "p-06", "p-08", "p-09", "p-11", "p-00"]),
        }

    def assert_same_reads(self, before, after):
        for name in before:
            with self.subTest(read=name):
                self.assertGreater(len(before[name].items), 0)
                self.assertEqual(ids_of(after[name]), ids_of(before[name]))
                for b, a in zip(before[name].items, after[name].items):
                    self.assertAlmostEqual(a.score, b.score, delta=1e-4, msg=a.item_id)
                    self.assertEqual(a.explanation.reason, b.explanation.reason)
        self.assertEqual(dict(after["rank"].excluded), dict(before["rank"].excluded))

    def status_counts(self):
        status = self.stubs.status()
        return {name: getattr(status, name) for name in STATUS_COUNTS}

    def expected_counts(self):
        return {"items": len(self.live), "users": len(self.users),
                "creators": len(self.creators),
                "indexed_vectors": len(self.live),  # every item has an embedding
                "dimension": e2e.DIM}

    def walk_ids(self, user_id, region="cn-sh"):
        pages = e2e.walk_feed(self.stubs, self.feed_request(user_id, 25, region))
        ids = [i for page in pages for i in ids_of(page)]
        self.assertEqual(len(ids), len(set(ids)), "pages repeat items")
        return ids

    def assert_state_survived(self):
        """Everything acknowledged is there, and nothing deleted or seen."""
        self.assertEqual(self.status_counts(), self.expected_counts())
        for item_id in sorted(self.live):
            response = self.related(item_id, 3)
            self.assertNotIn(item_id, ids_of(response))
        for item_id in sorted(self.deleted):
            self.assertRpcError(NOT_FOUND, "item_id", self.stubs.recommend.GetRelated,
                                recommend_pb2.GetRelatedRequest(item_id=item_id, count=3))
        related = ids_of(self.related("n-020", 100))
        self.assertEqual(set(related) & self.deleted, set())
        user = self.users["u-r1"]
        seen = self.seen.get("u-r1", set())
        ids = self.walk_ids("u-r1")
        self.assertEqual(set(ids) & seen, set(), "seen items are back in the feed")
        self.assertEqual(set(ids) & self.deleted, set(), "deleted items are back")
        expected = {i for i, item in self.live.items()
                    if e2e.eligible(item, "cn-sh", blocked=tuple(user.blocked_creator_ids),
                                    seen=seen)}
        self.assertEqual(set(ids), expected)

    # -- tests -----------------------------------------------------------------

    def test_clean_restart_then_crash_keeps_state_and_feeds(self):
        self.server.start()
        rng = self.ingest_catalog(seed=424242)
        status1 = self.stubs.status()
        self.assertEqual(self.status_counts(), self.expected_counts())
        reads1 = self.snapshot_of_reads()
        self.assertEqual(len(reads1["feed u-r1"].items), 20)

        # A clean stop and start: the same state, the same answers.
        self.restart_clean()
        status2 = self.stubs.status()
        for name in STATUS_COUNTS:
            self.assertEqual(getattr(status2, name), getattr(status1, name), name)
        self.assertTrue(status2.index_version, "no index snapshot after a clean stop")
        self.assert_same_reads(reads1, self.snapshot_of_reads())

        # Acknowledged writes, then a crash right away.
        f1 = ids_of(reads1["feed u-r1"])
        new_items = []
        for i in range(12):
            kind = (NOTE, VIDEO, PRODUCT)[i % 3]
            item = types_pb2.Item(
                id="nb-%02d" % i, kind=kind, creator_id="cr-%02d" % (i % 10),
                regions=[["cn-sh"], [], ["sg"]][i % 3], title="new %d" % i,
                embedding=e2e.unit_vector(rng), created_at_ms=self.now_ms - 30 * 60 * 1000)
            if kind == PRODUCT:
                item.product.CopyFrom(types_pb2.ProductInfo(
                    brand="New", price_cents=1999, currency="CNY", stock=5))
            new_items.append(item)
        self.upsert_items(new_items[:6])
        self.upsert_items(new_items[6:])
        taken_down = types_pb2.Item()
        taken_down.CopyFrom(self.live["v-005"])
        taken_down.unavailable = True
        self.upsert_items([taken_down])
        self.upsert_creators([types_pb2.Creator(id="cr-new", tier=types_pb2.CREATOR_TIER_KOC)])
        self.upsert_users([types_pb2.User(id="u-r3", embedding=e2e.unit_vector(rng),
                                          region="cn-bj")])
        self.record("u-r1", f1)
        self.record("u-r1", ["nb-00"], types_pb2.EVENT_TYPE_CLICK)
        self.delete_items(["n-030", "nb-03", "p-08"])
        self.restart_after_crash()
        self.assert_state_survived()
        for item in new_items:
            if item.id in self.live:
                self.assertEqual(len(self.related(item.id, 5).items), 5, item.id)
        self.assertNotIn("v-005", ids_of(self.related("n-020", 100)))
        reads3 = self.snapshot_of_reads()

        # And a clean restart on top of the replayed state changes nothing.
        self.restart_clean()
        self.assert_state_survived()
        self.assert_same_reads(reads3, self.snapshot_of_reads())

    def test_crash_before_any_snapshot_keeps_acknowledged_writes(self):
        self.server.start()
        self.ingest_catalog(seed=777)
        self.record("u-r1", ids_of(self.feed("u-r1", count=10)))
        self.delete_items(["n-010", "v-020", "p-12"])
        reads1 = self.snapshot_of_reads()
        self.restart_after_crash()
        self.assert_state_survived()
        self.assert_same_reads(reads1, self.snapshot_of_reads())


if __name__ == "__main__":
    e2e.main()
