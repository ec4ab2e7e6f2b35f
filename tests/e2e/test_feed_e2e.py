#!/usr/bin/python3
"""End-to-end tests of feeds, related items, product ranking, ingest
validation and status, through a real zhongcao_server over gRPC.

One server and one data directory serve the whole class. Every test that
writes keeps the class ledger (live items, users, creators) up to date, so
that completeness and count checks hold whatever order the tests run in.

  ZHONGCAO_SERVER=... ZHONGCAO_PYTHON_STUBS=... /usr/bin/python3 test_feed_e2e.py
"""

import math
import os
import re
import random
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import zhongcao_e2e as e2e  # noqa: E402
from zhongcao_e2e import (  # noqa: E402
    LIVE, NOTE, PRODUCT, VIDEO, grpc, ids_of, ingest_pb2, recommend_pb2,
    types_pb2)

INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND
SEED = 20240611


class FeedE2E(e2e.RpcAssertions, unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dirs = e2e.TempDirs("zhongcao-e2e-feed-")
        cls.server = e2e.Server(cls.dirs.data, cls.dirs.logs)
        try:
            cls.stubs = cls.server.start()
            cls.now_ms = int(time.time() * 1000)
            cls.rng = random.Random(SEED)
            cls.catalog = e2e.Catalog(cls.rng, cls.now_ms)
            cls.live = {}      # item id -> Item, what should be stored now
            cls.users = {}     # user id -> User
            cls.creators = {}  # creator id -> Creator
            cls._upsert_creators(cls.catalog.creators)
            # Several calls, to exercise batches.
            for batch in e2e.chunks(cls.catalog.items, 40):
                cls._upsert_items(batch)
            cls.main_user = types_pb2.User(
                id="u-main", embedding=e2e.unit_vector(cls.rng), region="cn-sh",
                locale="zh-CN", following_creator_ids=["cr-01"],
                blocked_creator_ids=[e2e.BLOCKED_CREATOR], segments=["beauty"])
            cls.plain_user = types_pb2.User(
                id="u-plain", embedding=e2e.unit_vector(cls.rng), region="cn-sh")
            cls.cold_user = types_pb2.User(id="u-cold", region="cn-bj")  # no embedding
            cls._upsert_users([cls.main_user, cls.plain_user, cls.cold_user])
        except BaseException:
            cls._teardown()
            raise

    @classmethod
    def tearDownClass(cls):
        cls._teardown()

    @classmethod
    def _teardown(cls):
        rc = cls.server.stop()
        if rc not in (0, None):
            sys.stderr.write("zhongcao_server exited with %s:\n%s\n" % (rc, cls.server.log()))
        if os.environ.get("ZHONGCAO_E2E_KEEP"):
            sys.stderr.write("kept %s\n" % cls.dirs.root)
        else:
            cls.dirs.cleanup()

    # -- writes that keep the ledger --------------------------------------------

    @classmethod
    def _upsert_items(cls, items):
        response = cls.stubs.ingest.UpsertItems(
            ingest_pb2.UpsertItemsRequest(items=items), timeout=e2e.RPC_TIMEOUT_S)
        assert response.upserted == len(items), response
        for item in items:
            cls.live[item.id] = item

    @classmethod
    def _upsert_users(cls, users):
        response = cls.stubs.ingest.UpsertUsers(
            ingest_pb2.UpsertUsersRequest(users=users), timeout=e2e.RPC_TIMEOUT_S)
        assert response.upserted == len(users), response
        for user in users:
            cls.users[user.id] = user

    @classmethod
    def _upsert_creators(cls, creators):
        response = cls.stubs.ingest.UpsertCreators(
            ingest_pb2.UpsertCreatorsRequest(creators=creators), timeout=e2e.RPC_TIMEOUT_S)
        assert response.upserted == len(creators), response
        for creator in creators:
            cls.creators[creator.id] = creator

    def record(self, events):
        response = self.stubs.ingest.RecordEvents(
            ingest_pb2.RecordEventsRequest(events=events), timeout=e2e.RPC_TIMEOUT_S)
        self.assertEqual(response.recorded, len(events))

    # -- reads ---------------------------------------------------------------------

    def ctx(self, region=""):
        return e2e.context(self.now_ms, region)

    def feed(self, user_id, count, region="", kinds=(), page_token=""):
        return self.stubs.recommend.GetFeed(
            recommend_pb2.GetFeedRequest(user_id=user_id, context=self.ctx(region),
                                         count=count, kinds=kinds, page_token=page_token),
            timeout=e2e.RPC_TIMEOUT_S)

    def walk(self, user_id, count, region="", kinds=()):
        """All pages of a feed; checks the paging contract on the way and
        returns the item ids in order."""
        pages = e2e.walk_feed(self.stubs, recommend_pb2.GetFeedRequest(
            user_id=user_id, context=self.ctx(region), count=count, kinds=kinds))
        ids = []
        for n, page in enumerate(pages):
            last = n == len(pages) - 1
            if not last:
                self.assertEqual(len(page.items), count,
                                 "page %d has a next_page_token but %d items"
                                 % (n + 1, len(page.items)))
            else:
                self.assertLessEqual(len(page.items), count)
            self.check_items(page.items)
            ids.extend(ids_of(page))
        repeats = sorted({i for i in ids if ids.count(i) > 1})
        self.assertEqual(repeats, [], "items repeated across pages of %s's feed" % user_id)
        return ids

    def check_items(self, scored_items):
        """Every card names a stored item, with its kind and creator, and is
        explained; the contributions add up to the score."""
        for scored in scored_items:
            self.assertIn(scored.item_id, self.live, "served an item that is not stored")
            item = self.live[scored.item_id]
            self.assertEqual(scored.kind, item.kind, scored.item_id)
            self.assertEqual(scored.creator_id, item.creator_id, scored.item_id)
            self.assertGreater(len(scored.explanation.sources), 0, scored.item_id)
            self.assertTrue(scored.explanation.reason, scored.item_id)
            self.assertTrue(math.isfinite(scored.score), scored.item_id)
            parts = scored.explanation.contributions
            if parts:
                self.assertAlmostEqual(sum(parts.values()), scored.score, delta=1e-3,
                                       msg="%s: contributions %s do not add up to %s"
                                       % (scored.item_id, dict(parts), scored.score))

    def eligible_ids(self, region, user=None, seen=(), kinds=()):
        blocked = tuple(user.blocked_creator_ids) if user is not None else ()
        return {i for i, item in self.live.items()
                if e2e.eligible(item, region, blocked=blocked, seen=seen, kinds=kinds)}

    def assert_eligible(self, ids, region, user=None, seen=(), kinds=()):
        blocked = tuple(user.blocked_creator_ids) if user is not None else ()
        for item_id in ids:
            item = self.live[item_id]
            self.assertTrue(
                e2e.eligible(item, region, blocked=blocked, seen=seen, kinds=kinds),
                "%s must not be served (region %r, blocked %s, kinds %s): regions=%s "
                "unavailable=%s stock=%s creator=%s kind=%s seen=%s"
                % (item_id, region, blocked, list(kinds), list(item.regions), item.unavailable,
                   item.product.stock if item.kind == PRODUCT else "-", item.creator_id,
                   item.kind, item_id in seen))

    def status(self):
        return self.stubs.status()

    # -- feeds ---------------------------------------------------------------------

    def test_feed_returns_count_explained_items(self):
        response = self.feed("u-main", 10, region="cn-sh")
        self.assertEqual(len(response.items), 10)
        self.assertTrue(response.request_id)
        self.assertTrue(response.next_page_token)
        self.check_items(response.items)
        self.assert_eligible(ids_of(response), "cn-sh", self.main_user)
        self.assertEqual(len(set(ids_of(response))), 10, "page repeats an item")

    def test_page_two_does_not_repeat_page_one(self):
        page1 = self.feed("u-main", 10, region="cn-sh")
        page2 = self.feed("u-main", 10, region="cn-sh", page_token=page1.next_page_token)
        self.assertEqual(len(page2.items), 10)
        self.check_items(page2.items)
        self.assertEqual(set(ids_of(page1)) & set(ids_of(page2)), set())
        # The same first page again: reading a page changes nothing.
        again = self.feed("u-main", 10, region="cn-sh")
        self.assertEqual(ids_of(again), ids_of(page1))

    def test_walking_pages_never_repeats_and_covers_the_catalog(self):
        ids = self.walk("u-main", 17, region="cn-sh")
        self.assert_eligible(ids, "cn-sh", self.main_user)
        # The catalog (a few hundred items) is far below every candidate
        # budget, so the walk must reach every item the user may see.
        self.assertEqual(set(ids), self.eligible_ids("cn-sh", self.main_user))

    def test_filters_hold_on_every_page(self):
        for region in e2e.REGIONS:
            with self.subTest(region=region):
                ids = self.walk("u-main", 25, region=region)
                self.assert_eligible(ids, region, self.main_user)
                self.assertEqual(set(ids), self.eligible_ids(region, self.main_user))
        for kinds in ([VIDEO], [NOTE, PRODUCT], [LIVE]):
            with self.subTest(kinds=kinds):
                ids = self.walk("u-main", 20, region="cn-sh", kinds=kinds)
                self.assertGreater(len(ids), 0)
                self.assert_eligible(ids, "cn-sh", self.main_user, kinds=kinds)
                self.assertEqual(set(ids),
                                 self.eligible_ids("cn-sh", self.main_user, kinds=kinds))
        with self.subTest("the user's stored region applies when the request has none"):
            ids = self.walk("u-main", 30)
            self.assert_eligible(ids, self.main_user.region, self.main_user)
        with self.subTest("blocking is per user"):
            ids = self.walk("u-plain", 30, region="cn-sh")
            self.assert_eligible(ids, "cn-sh", self.plain_user)
            blocked_items = [i for i in ids
                             if self.live[i].creator_id == e2e.BLOCKED_CREATOR]
            self.assertGreater(len(blocked_items), 0,
                               "a user who blocked nobody sees the blocked creator's items")
        for item_id in ("p-00", "p-05", e2e.UNAVAILABLE_ITEM):
            self.assertIn(item_id, self.live)  # the catalog has what the filters drop

    def test_seen_items_leave_the_feed(self):
        user = types_pb2.User(id="u-seen", embedding=e2e.unit_vector(random.Random(7)),
                              region="cn-sh")
        self._upsert_users([user])
        page1 = self.feed("u-seen", 10, region="cn-sh")
        seen = ids_of(page1)
        self.assertEqual(len(seen), 10)
        events = [types_pb2.Event(user_id="u-seen", item_id=i,
                                  type=types_pb2.EVENT_TYPE_IMPRESSION,
                                  request_id=page1.request_id) for i in seen]
        events += [types_pb2.Event(user_id="u-seen", item_id=i, type=types_pb2.EVENT_TYPE_CLICK,
                                   timestamp_ms=self.now_ms, request_id=page1.request_id)
                   for i in seen[:3]]
        self.record(events)
        fresh = self.feed("u-seen", 10, region="cn-sh")
        self.assertEqual(len(fresh.items), 10)
        self.assertEqual(set(ids_of(fresh)) & set(seen), set(),
                         "seen items came back on a fresh first page")
        ids = self.walk("u-seen", 20, region="cn-sh")
        self.assertEqual(set(ids) & set(seen), set(), "seen items came back in the feed")
        self.assertEqual(set(ids), self.eligible_ids("cn-sh", user, seen=seen))

    def test_stream_events_records_each_message(self):
        user = types_pb2.User(id="u-stream", embedding=e2e.unit_vector(random.Random(8)),
                              region="cn-sh")
        self._upsert_users([user])
        first = ids_of(self.feed("u-stream", 6, region="cn-sh"))
        self.assertEqual(len(first), 6)
        messages = [ingest_pb2.RecordEventsRequest(events=[
            types_pb2.Event(user_id="u-stream", item_id=i, type=types_pb2.EVENT_TYPE_CLICK)
            for i in first[n:n + 2]]) for n in (0, 2, 4)]
        response = self.stubs.ingest.StreamEvents(iter(messages), timeout=e2e.RPC_TIMEOUT_S)
        self.assertEqual(response.recorded, 6)
        again = ids_of(self.feed("u-stream", 6, region="cn-sh"))
        self.assertEqual(set(again) & set(first), set(), "streamed events were not recorded")
        bad = [ingest_pb2.RecordEventsRequest(events=[types_pb2.Event(
            user_id="u-stream", item_id="no-such-item", type=types_pb2.EVENT_TYPE_CLICK)])]
        self.assertRpcError(grpc.StatusCode.NOT_FOUND, "messages[0].events[0].item_id",
                            self.stubs.ingest.StreamEvents, iter(bad))

    def test_find_lookalikes(self):
        rng = random.Random(9)
        a, b = e2e.unit_vector(rng), e2e.unit_vector(rng)

        def near(center):
            v = [x + rng.gauss(0, 0.05) for x in center]
            norm = math.sqrt(sum(x * x for x in v))
            return [x / norm for x in v]
        self._upsert_users(
            [types_pb2.User(id="look-a%d" % i, embedding=near(a), region="cn-sh")
             for i in range(6)] +
            [types_pb2.User(id="look-b%d" % i, embedding=near(b), region="cn-sh")
             for i in range(6)])
        response = self.stubs.recommend.FindLookalikes(
            recommend_pb2.FindLookalikesRequest(seed_user_ids=["look-a0", "look-a1"], count=4),
            timeout=e2e.RPC_TIMEOUT_S)
        found = [u.user_id for u in response.users]
        self.assertEqual(len(found), 4)
        self.assertTrue(all(u.startswith("look-a") for u in found), found)
        self.assertNotIn("look-a0", found)
        self.assertRpcError(grpc.StatusCode.INVALID_ARGUMENT, "count",
                            self.stubs.recommend.FindLookalikes,
                            recommend_pb2.FindLookalikesRequest(seed_user_ids=["look-a0"]))

    def test_unknown_user_gets_a_cold_start_feed(self):
        response = self.feed("nobody-has-this-id", 10)
        self.assertEqual(len(response.items), 10)
        self.check_items(response.items)
        self.assert_eligible(ids_of(response), "")
        ids = self.walk("nobody-has-this-id", 30, region="sg")
        self.assertGreater(len(ids), 0)
        self.assert_eligible(ids, "sg")
        with self.subTest("a stored user without an embedding"):
            ids = self.walk("u-cold", 30)  # stored region cn-bj
            self.assertGreater(len(ids), 0)
            self.assert_eligible(ids, "cn-bj", self.cold_user)

    def test_followed_creators_fresh_item_appears_with_a_follow_reason(self):
        rng = random.Random(11)
        self._upsert_creators([types_pb2.Creator(
            id="cr-followed", tier=types_pb2.CREATOR_TIER_KOC, name="Lin", region="cn-sh",
            followers=300)])
        taste = e2e.unit_vector(rng)
        follower = types_pb2.User(id="u-follow", embedding=taste, region="cn-sh",
                                  following_creator_ids=["cr-followed"])
        stranger = types_pb2.User(id="u-nofollow", embedding=taste, region="cn-sh")
        self._upsert_users([follower, stranger])
        fresh = types_pb2.Item(
            id="f-fresh", kind=NOTE, creator_id="cr-followed", title="Lin's new find",
            embedding=e2e.orthogonal_to(taste, rng), created_at_ms=self.now_ms - e2e.HOUR_MS)
        self._upsert_items([fresh])

        def find(user_id):
            pages = e2e.walk_feed(self.stubs, recommend_pb2.GetFeedRequest(
                user_id=user_id, context=self.ctx("cn-sh"), count=20))
            cards = [c for page in pages for c in page.items]
            for position, card in enumerate(cards):
                if card.item_id == "f-fresh":
                    return position, card
            self.fail("f-fresh is not in %s's feed" % user_id)

        position, card = find("u-follow")
        self.assertIn("following", card.explanation.sources)
        self.assertIn("follow", card.explanation.reason.lower())
        self.assertLess(card.explanation.contributions.get("similarity", 0.0), 0.1,
                        "the test needs an item the user's taste does not explain")
        stranger_position, stranger_card = find("u-nofollow")
        self.assertNotIn("follow", stranger_card.explanation.reason.lower())
        self.assertLess(position, stranger_position,
                        "following the creator did not lift the item")

    # -- related items and product ranking ----------------------------------------

    def related(self, item_id, count, kinds=(), region=""):
        return self.stubs.recommend.GetRelated(
            recommend_pb2.GetRelatedRequest(item_id=item_id, context=self.ctx(region),
                                            count=count, kinds=kinds),
            timeout=e2e.RPC_TIMEOUT_S)

    def test_get_related(self):
        seed = self.live["n-020"]
        response = self.related("n-020", 20)
        ids = ids_of(response)
        self.assertEqual(len(ids), 20)
        self.assertTrue(response.request_id)
        self.assertNotIn("n-020", ids)
        self.assertEqual(len(set(ids)), len(ids))
        self.check_items(response.items)
        self.assert_eligible(ids, "")  # never unavailable or out of stock
        for card in response.items:
            expected = e2e.dot(seed.embedding, self.live[card.item_id].embedding)
            self.assertAlmostEqual(card.score, expected, delta=1e-3, msg=card.item_id)
        scores = [card.score for card in response.items]
        self.assertEqual(scores, sorted(scores, reverse=True))
        exact = sorted((i for i in self.eligible_ids("") if i != "n-020"),
                       key=lambda i: -e2e.dot(seed.embedding, self.live[i].embedding))[:20]
        self.assertGreaterEqual(len(set(exact) & set(ids)), 15, "poor recall")
        with self.subTest(kinds=[PRODUCT]):
            ids = ids_of(self.related("n-020", 50, kinds=[PRODUCT]))
            self.assertGreater(len(ids), 0)
            self.assert_eligible(ids, "", kinds=[PRODUCT])
            self.assertEqual(set(ids), self.eligible_ids("", kinds=[PRODUCT]))
        with self.subTest(kinds=[NOTE, VIDEO]):
            ids = ids_of(self.related("n-020", 100, kinds=[NOTE, VIDEO]))
            self.assertGreater(len(ids), 0)
            self.assertNotIn("n-020", ids)
            self.assert_eligible(ids, "", kinds=[NOTE, VIDEO])
        with self.subTest(region="sg"):
            ids = ids_of(self.related("n-020", 100, region="sg"))
            self.assertGreater(len(ids), 0)
            self.assert_eligible(ids, "sg")
        with self.subTest("unknown item"):
            self.assertRpcError(NOT_FOUND, "item_id", self.stubs.recommend.GetRelated,
                                recommend_pb2.GetRelatedRequest(item_id="no-such-item",
                                                                count=5))

    def test_rank_products(self):
        asked = ["p-04", "p-06", "p-00", "p-missing", "p-08", "p-03", "n-020", "p-11"]
        response = self.stubs.recommend.RankProducts(
            recommend_pb2.RankProductsRequest(user_id="u-main", context=self.ctx("cn-sh"),
                                              product_ids=asked),
            timeout=e2e.RPC_TIMEOUT_S)
        ids = ids_of(response)
        self.assertTrue(response.request_id)
        self.assertEqual(sorted(ids), ["p-04", "p-06", "p-08", "p-11"])
        self.check_items(response.items)
        scores = [card.score for card in response.items]
        self.assertEqual(scores, sorted(scores, reverse=True), "not ordered best first")
        excluded = dict(response.excluded)
        self.assertEqual(set(excluded), {"p-00", "p-missing", "p-03", "n-020"})
        self.assertIn("not found", excluded["p-missing"])
        self.assertIn("out of stock", excluded["p-00"])
        # Unknown users get a ranking too.
        response = self.stubs.recommend.RankProducts(
            recommend_pb2.RankProductsRequest(user_id="nobody-ranks", product_ids=asked[:2]),
            timeout=e2e.RPC_TIMEOUT_S)
        self.assertEqual(sorted(ids_of(response)), ["p-04", "p-06"])

    # -- bad input -----------------------------------------------------------------

    def good_item(self, item_id, kind=NOTE):
        item = types_pb2.Item(id=item_id, kind=kind, creator_id="cr-03",
                              embedding=e2e.unit_vector(random.Random(item_id)),
                              created_at_ms=self.now_ms - e2e.HOUR_MS)
        if kind == PRODUCT:
            item.product.CopyFrom(types_pb2.ProductInfo(price_cents=100, currency="CNY",
                                                        stock=3))
        return item

    def assert_rejected_items(self, items, prefix, code=INVALID):
        before = self.status()
        self.assertRpcError(code, prefix, self.stubs.ingest.UpsertItems,
                            ingest_pb2.UpsertItemsRequest(items=items))
        after = self.status()
        self.assertEqual(after.items, before.items, "a rejected batch changed the store")
        self.assertEqual(after.indexed_vectors, before.indexed_vectors)
        for item in items:
            if re.fullmatch(r"[!-~]{1,128}", item.id) and item.id not in self.live:
                self.assertRpcError(NOT_FOUND, "item_id", self.stubs.recommend.GetRelated,
                                    recommend_pb2.GetRelatedRequest(item_id=item.id, count=5))

    def test_bad_embeddings_are_rejected(self):
        short = self.good_item("bad-dim")
        del short.embedding[3:]
        self.assert_rejected_items([short], "items[0].embedding")
        self.assertRpcError(
            INVALID, "items[0].embedding: has 3 values, the service's dimension is 64",
            self.stubs.ingest.UpsertItems, ingest_pb2.UpsertItemsRequest(items=[short]))
        nan = self.good_item("bad-nan")
        nan.embedding[5] = float("nan")
        self.assert_rejected_items([nan], "items[0].embedding")
        inf = self.good_item("bad-inf")
        inf.embedding[0] = float("inf")
        self.assert_rejected_items([inf], "items[0].embedding")
        user = types_pb2.User(id="u-bad-dim", embedding=[0.5, 0.5])
        self.assertRpcError(INVALID, "users[0].embedding", self.stubs.ingest.UpsertUsers,
                            ingest_pb2.UpsertUsersRequest(users=[user]))

    def test_bad_ids_are_rejected(self):
        self.assert_rejected_items([self.good_item("")], "items[0].id")
        self.assert_rejected_items([self.good_item("x" * 129)], "items[0].id")
        self.assert_rejected_items([self.good_item("has space")], "items[0].id")
        self.assertRpcError(INVALID, "users[0].id", self.stubs.ingest.UpsertUsers,
                            ingest_pb2.UpsertUsersRequest(users=[types_pb2.User(id="")]))
        self.assertRpcError(INVALID, "user_id", self.stubs.recommend.GetFeed,
                            recommend_pb2.GetFeedRequest(user_id="", count=5))
        self.assertRpcError(INVALID, "item_id", self.stubs.recommend.GetRelated,
                            recommend_pb2.GetRelatedRequest(item_id="y" * 129, count=5))
        self.assertRpcError(INVALID, "item_ids[0]", self.stubs.ingest.DeleteItems,
                            ingest_pb2.DeleteItemsRequest(item_ids=[""]))
        # 128 bytes is the limit, and allowed.
        longest = self.good_item("z" * 128)
        self._upsert_items([longest])
        self.assertEqual(len(self.related("z" * 128, 5).items), 5)

    def test_bad_counts_are_rejected(self):
        for count in (0, 101, -1):
            with self.subTest(count=count):
                self.assertRpcError(INVALID, "count: must be within 1..100, got %d" % count,
                                    self.stubs.recommend.GetFeed,
                                    recommend_pb2.GetFeedRequest(user_id="u-main",
                                                                 count=count))
                self.assertRpcError(INVALID, "count:", self.stubs.recommend.GetRelated,
                                    recommend_pb2.GetRelatedRequest(item_id="n-020",
                                                                    count=count))
        # The bounds themselves are allowed: a cold-start feed over the whole
        # catalog has more than 100 items to show.
        self.assertGreater(len(self.eligible_ids("")), 100)
        self.assertEqual(len(self.feed("nobody-counts", 100).items), 100)
        self.assertEqual(len(self.feed("u-main", 1).items), 1)
        self.assertEqual(len(self.related("n-020", 100).items), 100)

    def test_unknown_enum_values_are_rejected(self):
        item = self.good_item("bad-kind")
        item.kind = 99  # set on the wire; proto3 enums are open
        self.assert_rejected_items([item], "items[0].kind")
        unset = self.good_item("unset-kind")
        unset.kind = types_pb2.ITEM_KIND_UNSPECIFIED
        self.assert_rejected_items([unset], "items[0].kind")
        request = recommend_pb2.GetFeedRequest(user_id="u-main", count=5)
        request.kinds.append(99)
        self.assertRpcError(INVALID, "kinds[0]", self.stubs.recommend.GetFeed, request)
        related = recommend_pb2.GetRelatedRequest(item_id="n-020", count=5)
        related.kinds.extend([NOTE, 99])
        self.assertRpcError(INVALID, "kinds[1]", self.stubs.recommend.GetRelated, related)
        event = types_pb2.Event(user_id="u-main", item_id="n-020")
        event.type = 77
        self.assertRpcError(INVALID, "events[0].type", self.stubs.ingest.RecordEvents,
                            ingest_pb2.RecordEventsRequest(events=[event]))
        surface = recommend_pb2.GetFeedRequest(user_id="u-main", count=5)
        surface.context.surface = 42
        self.assertRpcError(INVALID, "context.surface", self.stubs.recommend.GetFeed,
                            surface)

    def test_other_bad_items_are_rejected(self):
        product = self.good_item("bad-product", kind=PRODUCT)
        product.ClearField("product")
        self.assert_rejected_items([product], "items[0].product")
        stock = self.good_item("bad-stock", kind=PRODUCT)
        stock.product.stock = -1
        self.assert_rejected_items([stock], "items[0].product.stock")
        self.assert_rejected_items([], "items")

    def test_malformed_page_tokens_are_rejected(self):
        for token in ("garbage", "!!!!", "AAAAAAAAAAAAAAAA"):
            with self.subTest(token=token):
                self.assertRpcError(INVALID, "page_token: malformed",
                                    self.stubs.recommend.GetFeed,
                                    recommend_pb2.GetFeedRequest(user_id="u-main", count=5,
                                                                 page_token=token))
        token = self.feed("u-main", 5).next_page_token
        self.assertTrue(token)
        middle = len(token) // 2
        tampered = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1:]
        self.assertRpcError(INVALID, "page_token", self.stubs.recommend.GetFeed,
                            recommend_pb2.GetFeedRequest(user_id="u-main", count=5,
                                                         page_token=tampered))
        self.assertRpcError(INVALID, "page_token", self.stubs.recommend.GetFeed,
                            recommend_pb2.GetFeedRequest(user_id="u-plain", count=5,
                                                         page_token=token))

    def test_batch_with_one_bad_item_is_rejected_whole(self):
        good0 = self.good_item("batch-good-0")
        bad = self.good_item("batch-bad-1")
        del bad.embedding[3:]
        good2 = self.good_item("batch-good-2", kind=VIDEO)
        self.assert_rejected_items([good0, bad, good2], "items[1]")
        self.assertRpcError(INVALID, "items[1].embedding: has 3 values",
                            self.stubs.ingest.UpsertItems,
                            ingest_pb2.UpsertItemsRequest(items=[good0, bad, good2]))
        for item_id in ("batch-good-0", "batch-good-2"):
            self.assertRpcError(NOT_FOUND, "item_id", self.stubs.recommend.GetRelated,
                                recommend_pb2.GetRelatedRequest(item_id=item_id, count=5))
        ids = ids_of(self.related("n-020", 100))
        self.assertNotIn("batch-good-0", ids)
        self.assertNotIn("batch-good-2", ids)
        # The same batch without the bad item goes in whole.
        self._upsert_items([good0, good2])
        self.assertEqual(len(self.related("batch-good-0", 5).items), 5)

    def test_event_for_unknown_item_is_rejected_and_records_nothing(self):
        user = types_pb2.User(id="u-evt", embedding=e2e.unit_vector(random.Random(5)),
                              region="sg")
        self._upsert_users([user])
        before = ids_of(self.feed("u-evt", 10, region="sg"))
        self.assertEqual(len(before), 10)
        events = [types_pb2.Event(user_id="u-evt", item_id=before[0],
                                  type=types_pb2.EVENT_TYPE_CLICK),
                  types_pb2.Event(user_id="u-evt", item_id="no-such-item",
                                  type=types_pb2.EVENT_TYPE_IMPRESSION)]
        e = self.assertRpcError(NOT_FOUND, "events[1].item_id", self.stubs.ingest.RecordEvents,
                                ingest_pb2.RecordEventsRequest(events=events))
        self.assertIn("no-such-item", e.details())
        after = ids_of(self.feed("u-evt", 10, region="sg"))
        self.assertEqual(after, before, "the rejected batch changed the user's feed")
        self.assertRpcError(INVALID, "events", self.stubs.ingest.RecordEvents,
                            ingest_pb2.RecordEventsRequest(events=[]))

    # -- status, deletes, reflection ------------------------------------------------

    def test_status_counts_match_what_was_ingested(self):
        status = self.status()
        self.assertEqual(status.items, len(self.live))
        self.assertEqual(status.users, len(self.users))
        self.assertEqual(status.creators, len(self.creators))
        self.assertEqual(status.indexed_vectors,
                         len([i for i in self.live.values() if i.embedding]))
        self.assertEqual(status.dimension, e2e.DIM)
        self.assertEqual(status.metric, "inner_product")
        self.assertEqual(os.path.realpath(status.data_dir), os.path.realpath(self.dirs.data))
        self.assertTrue(status.server_version)
        self.assertTrue(status.index_type)

    def test_status_reports_the_stores_writes_and_item_cache(self):
        self.assertTrue(self.feed("u-plain", 5, region="cn-sh").items)
        store = self.status().store
        self.assertGreater(store.item_cache_bytes, 0)
        self.assertGreaterEqual(store.item_cache_capacity_bytes, store.item_cache_bytes)
        self.assertGreater(store.memtable_bytes, 0)
        self.assertEqual(store.write_stops, 0)
        self.assertFalse(store.writes_stopped)

    def test_deleted_item_leaves_feeds_and_related(self):
        rng = random.Random(99)
        anchor = e2e.unit_vector(rng)
        doomed = types_pb2.Item(id="del-x", kind=VIDEO, creator_id="cr-04",
                                embedding=e2e.near(anchor, rng, 0.02),
                                created_at_ms=self.now_ms - e2e.HOUR_MS)
        twin = types_pb2.Item(id="del-y", kind=VIDEO, creator_id="cr-05",
                              embedding=e2e.near(anchor, rng, 0.02),
                              created_at_ms=self.now_ms - e2e.HOUR_MS)
        self._upsert_items([doomed, twin])
        fan = types_pb2.User(id="u-del", embedding=anchor, region="cn-sh")
        self._upsert_users([fan])
        self.assertIn("del-x", ids_of(self.feed("u-del", 5, region="cn-sh")))
        self.assertEqual(ids_of(self.related("del-y", 5))[0], "del-x")
        items_before = self.status().items

        response = self.stubs.ingest.DeleteItems(
            ingest_pb2.DeleteItemsRequest(item_ids=["del-x", "never-existed"]),
            timeout=e2e.RPC_TIMEOUT_S)
        del self.live["del-x"]
        self.assertEqual(response.deleted, 1)
        self.assertEqual(self.status().items, items_before - 1)
        self.assertNotIn("del-x", ids_of(self.related("del-y", 100)))
        self.assertRpcError(NOT_FOUND, "item_id", self.stubs.recommend.GetRelated,
                            recommend_pb2.GetRelatedRequest(item_id="del-x", count=5))
        ids = self.walk("u-del", 50, region="cn-sh")
        self.assertNotIn("del-x", ids)
        self.assertIn("del-y", ids)
        # Deleting it again is not an error.
        response = self.stubs.ingest.DeleteItems(
            ingest_pb2.DeleteItemsRequest(item_ids=["del-x"]), timeout=e2e.RPC_TIMEOUT_S)
        self.assertEqual(response.deleted, 0)
        # Events may not name it any more.
        self.assertRpcError(NOT_FOUND, "events[0].item_id", self.stubs.ingest.RecordEvents,
                            ingest_pb2.RecordEventsRequest(events=[types_pb2.Event(
                                user_id="u-del", item_id="del-x",
                                type=types_pb2.EVENT_TYPE_CLICK)]))
        # A deleted id may be ingested again, and is served again.
        self._upsert_items([doomed])
        self.assertEqual(self.status().items, items_before)
        self.assertEqual(ids_of(self.related("del-y", 5))[0], "del-x")
        self.assertIn("del-x", ids_of(self.feed("u-del", 5, region="cn-sh")))

    def test_upserts_replace_items(self):
        rng = random.Random(1234)
        anchor = e2e.unit_vector(rng)
        base = types_pb2.Item(id="upd-a", kind=NOTE, creator_id="cr-06",
                              embedding=e2e.near(anchor, rng, 0.02),
                              created_at_ms=self.now_ms - 2 * e2e.HOUR_MS)
        twin = types_pb2.Item(id="upd-twin", kind=NOTE, creator_id="cr-07",
                              embedding=e2e.near(anchor, rng, 0.02),
                              created_at_ms=self.now_ms - 2 * e2e.HOUR_MS)
        product = types_pb2.Item(id="upd-p", kind=PRODUCT, embedding=e2e.near(anchor, rng, 0.02),
                                 created_at_ms=self.now_ms - 2 * e2e.HOUR_MS,
                                 product=types_pb2.ProductInfo(price_cents=500, currency="CNY",
                                                               stock=2))
        self._upsert_items([base, twin, product])
        items_before = self.status().items
        fan = types_pb2.User(id="u-upd", embedding=anchor, region="sg")
        self._upsert_users([fan])

        def related_ids(region=""):
            return ids_of(self.related("upd-twin", 100, region=region))

        def feed_ids(region="sg"):
            return self.walk("u-upd", 50, region=region)

        self.assertIn("upd-a", related_ids("sg"))
        self.assertIn("upd-a", feed_ids())
        self.assertIn("upd-p", related_ids())

        # Now only for cn-bj.
        moved = types_pb2.Item()
        moved.CopyFrom(base)
        moved.regions.append("cn-bj")
        self._upsert_items([moved])
        self.assertNotIn("upd-a", related_ids("sg"))
        self.assertNotIn("upd-a", feed_ids("sg"))
        self.assertIn("upd-a", related_ids("cn-bj"))
        self.assertIn("upd-a", feed_ids("cn-bj"))

        # Taken down.
        down = types_pb2.Item()
        down.CopyFrom(moved)
        down.unavailable = True
        self._upsert_items([down])
        self.assertNotIn("upd-a", related_ids("cn-bj"))
        self.assertNotIn("upd-a", feed_ids("cn-bj"))

        # Sold out.
        sold_out = types_pb2.Item()
        sold_out.CopyFrom(product)
        sold_out.product.stock = 0
        self._upsert_items([sold_out])
        self.assertNotIn("upd-p", related_ids())
        self.assertNotIn("upd-p", feed_ids())
        ranked = self.stubs.recommend.RankProducts(
            recommend_pb2.RankProductsRequest(user_id="u-upd", product_ids=["upd-p"]),
            timeout=e2e.RPC_TIMEOUT_S)
        self.assertEqual(ids_of(ranked), [])
        self.assertIn("out of stock", ranked.excluded["upd-p"])

        # Back on sale, everywhere.
        self._upsert_items([base, product])
        self.assertIn("upd-a", related_ids("sg"))
        self.assertIn("upd-p", related_ids("sg"))
        self.assertEqual(self.status().items, items_before, "replacing added items")

    def test_item_without_embedding(self):
        item = types_pb2.Item(id="noemb-1", kind=NOTE, creator_id="cr-08", title="text only")
        before = self.status()
        self._upsert_items([item])  # created_at_ms 0: "now" at ingest
        after = self.status()
        self.assertEqual(after.items, before.items + 1)
        self.assertEqual(after.indexed_vectors, before.indexed_vectors)
        self.assertRpcError(grpc.StatusCode.FAILED_PRECONDITION, "item_id",
                            self.stubs.recommend.GetRelated,
                            recommend_pb2.GetRelatedRequest(
                                item_id="noemb-1", count=5,
                                signal=recommend_pb2.RELATED_SIGNAL_EMBEDDING))
        # The default blends in co-occurrence, which needs no embedding:
        # nobody has engaged with the item yet, so nothing, but no error.
        related = self.stubs.recommend.GetRelated(
            recommend_pb2.GetRelatedRequest(item_id="noemb-1", count=5),
            timeout=e2e.RPC_TIMEOUT_S)
        self.assertEqual(list(related.items), [])
        # Still served: a cold-start feed reads recent items from the store.
        self.assertIn("noemb-1", self.walk("nobody-noemb", 50))

    def test_reflection_and_health(self):
        names = e2e.reflection_service_names(self.server.channel)
        for service in ("zhongcao.v1.RecommendService", "zhongcao.v1.IngestService",
                        "zhongcao.v1.AdminService"):
            self.assertIn(service, names)
        for service in ("", "zhongcao.v1.RecommendService"):
            self.assertEqual(e2e.health_status(self.server.channel, service), 1,
                             "health of %r is not SERVING" % service)


class LongFeedE2E(e2e.RpcAssertions, unittest.TestCase):
    """A feed longer than what one page token can remember."""

    ITEMS = 2300
    COUNT = 100

    @classmethod
    def setUpClass(cls):
        cls.dirs = e2e.TempDirs("zhongcao-e2e-longfeed-")
        cls.server = e2e.Server(cls.dirs.data, cls.dirs.logs)
        try:
            cls.stubs = cls.server.start()
            cls.now_ms = int(time.time() * 1000)
            rng = random.Random(SEED + 1)
            items = [types_pb2.Item(id="long-%05d" % i, kind=(NOTE, VIDEO)[i % 2],
                                    creator_id="cr-%02d" % (i % 10),
                                    embedding=e2e.unit_vector(rng),
                                    created_at_ms=cls.now_ms - i * 60 * 1000)
                     for i in range(cls.ITEMS)]
            for batch in e2e.chunks(items, 1000):
                cls.stubs.ingest.UpsertItems(ingest_pb2.UpsertItemsRequest(items=batch),
                                             timeout=e2e.RPC_TIMEOUT_S)
            cls.stubs.ingest.UpsertUsers(ingest_pb2.UpsertUsersRequest(users=[
                types_pb2.User(id="u-long", embedding=e2e.unit_vector(rng))]),
                timeout=e2e.RPC_TIMEOUT_S)
        except BaseException:
            cls._teardown()
            raise

    @classmethod
    def tearDownClass(cls):
        cls._teardown()

    @classmethod
    def _teardown(cls):
        cls.server.stop()
        cls.dirs.cleanup()

    def check_walk(self, user_id):
        request = recommend_pb2.GetFeedRequest(user_id=user_id, count=self.COUNT,
                                               context=e2e.context(self.now_ms))
        # Every page holds COUNT new items until the feed ends, so it must end
        # within this many pages.
        max_pages = self.ITEMS // self.COUNT + 1
        first_page = {}
        for page in range(1, max_pages + 2):
            response = self.stubs.recommend.GetFeed(request, timeout=e2e.RPC_TIMEOUT_S)
            for item_id in ids_of(response):
                if item_id in first_page:
                    self.fail("%s, served on page %d, came back on page %d"
                              % (item_id, first_page[item_id], page))
                first_page[item_id] = page
            if not response.next_page_token:
                return len(first_page)
            request.page_token = response.next_page_token
        self.fail("the feed did not end after %d pages of %d items"
                  % (max_pages + 1, self.COUNT))

    def test_walk_past_two_thousand_items_never_repeats(self):
        self.assertGreater(self.check_walk("u-long"), 0)

    def test_cold_start_walk_never_repeats(self):
        self.assertGreater(self.check_walk("nobody-long"), 0)


if __name__ == "__main__":
    e2e.main()
