#!/usr/bin/python3
"""End-to-end test of an offline index rebuild as a rebuilder runs it: build a
snapshot with zhongcao_build_index from the data directory of a running
server (a read-only view beside it), keep writing, then LoadIndex it over
gRPC, refuse a corrupt one, roll back, and restart.

  ZHONGCAO_SERVER=... ZHONGCAO_BUILD_INDEX=... ZHONGCAO_PYTHON_STUBS=... \
      /usr/bin/python3 test_index_e2e.py
"""

import os
import random
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import zhongcao_e2e as e2e  # noqa: E402
from zhongcao_e2e import (  # noqa: E402
    NOTE, admin_pb2, grpc, ingest_pb2, recommend_pb2, types_pb2)

BUILD_INDEX = e2e._require_env("ZHONGCAO_BUILD_INDEX")


class IndexRebuildE2E(e2e.RpcAssertions, unittest.TestCase):

    def setUp(self):
        self.dirs = e2e.TempDirs("zhongcao-e2e-index-")
        self.server = e2e.Server(self.dirs.data, self.dirs.logs)
        self.stubs = self.server.start()
        self.rng = random.Random(7)

    def tearDown(self):
        try:
            self.server.kill()
        finally:
            self.dirs.cleanup()

    def upsert(self, ids):
        items = []
        for item_id in ids:
            item = types_pb2.Item(id=item_id, kind=NOTE, title=item_id)
            item.embedding.extend(e2e.unit_vector(self.rng))
            items.append(item)
        self.stubs.ingest.UpsertItems(ingest_pb2.UpsertItemsRequest(items=items),
                                      timeout=e2e.RPC_TIMEOUT_S)
        return items

    def build(self, name, label):
        out = os.path.join(self.dirs.root, name)
        result = subprocess.run(
            [BUILD_INDEX, "--data_dir=" + self.dirs.data, "--out=" + out,
             "--version=" + label, "--factory=HNSW16,Flat", "--threads=1"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
        self.assertEqual(result.returncode, 0, result.stdout.decode())
        self.assertIn(b"snapshot", result.stdout)
        return out

    def related(self, item_id):
        return self.stubs.recommend.GetRelated(
            recommend_pb2.GetRelatedRequest(item_id=item_id, count=50),
            timeout=e2e.RPC_TIMEOUT_S)

    def test_build_beside_the_server_then_load_refuse_rollback_restart(self):
        self.upsert(["n%03d" % i for i in range(300)])
        before = self.stubs.status()
        snapshot = self.build("nightly", "nightly-e2e")

        # Changes after the build: the load must replay them.
        late = self.upsert(["late%02d" % i for i in range(10)])
        deleted = ["n%03d" % i for i in range(5)]
        self.stubs.ingest.DeleteItems(ingest_pb2.DeleteItemsRequest(item_ids=deleted),
                                      timeout=e2e.RPC_TIMEOUT_S)

        swap = self.stubs.admin.LoadIndex(admin_pb2.LoadIndexRequest(path=snapshot),
                                          timeout=e2e.RPC_TIMEOUT_S)
        self.assertEqual(swap.serving.label, "nightly-e2e")
        self.assertEqual(swap.serving.origin, "load")
        self.assertEqual(swap.serving.index_type, "HNSW16,Flat")
        self.assertEqual(swap.replayed_items, 15)
        self.assertEqual(swap.previous.name, before.serving_index.name)
        status = self.stubs.status()
        self.assertEqual(status.index_version, swap.serving.name)
        self.assertEqual(status.serving_index.label, "nightly-e2e")
        self.assertEqual(status.previous_index.name, before.serving_index.name)
        self.assertEqual(status.indexed_vectors, 305)

        # The late items are searchable, the deleted ones gone, and answers
        # name the version that served them.
        answer = self.related(late[0].id)
        self.assertEqual(answer.index_version, swap.serving.name)
        returned = {i.item_id for i in answer.items}
        self.assertEqual(len(returned), 50)
        self.assertFalse(returned & set(deleted))

        # A corrupt copy is refused, naming the file; the version serves on.
        bad = os.path.join(self.dirs.root, "bad")
        shutil.copytree(snapshot, bad)
        with open(os.path.join(bad, "vectors.f32"), "r+b") as f:
            f.seek(64)
            f.write(b"\xff\xff")
        self.assertRpcError(grpc.StatusCode.DATA_LOSS, "snapshot", self.stubs.admin.LoadIndex,
                            admin_pb2.LoadIndexRequest(path=bad))
        self.assertRpcError(grpc.StatusCode.INVALID_ARGUMENT, "path:",
                            self.stubs.admin.LoadIndex, admin_pb2.LoadIndexRequest())
        self.assertEqual(self.stubs.status().index_version, swap.serving.name)

        back = self.stubs.admin.RollbackIndex(admin_pb2.RollbackIndexRequest(),
                                              timeout=e2e.RPC_TIMEOUT_S)
        self.assertEqual(back.serving.name, before.serving_index.name)
        self.assertEqual(back.previous.name, swap.serving.name)
        status = self.stubs.status()
        self.assertEqual(status.index_version, before.serving_index.name)
        self.assertEqual(status.indexed_vectors, 305)
        self.assertFalse({i.item_id for i in self.related(late[2].id).items} & set(deleted))

        # A clean restart keeps the data and a version to roll back to.
        self.assertEqual(self.server.stop(), 0)
        self.stubs = self.server.start()
        status = self.stubs.status()
        self.assertEqual(status.indexed_vectors, 305)
        self.assertTrue(status.previous_index.name)
        self.stubs.admin.RollbackIndex(admin_pb2.RollbackIndexRequest(),
                                       timeout=e2e.RPC_TIMEOUT_S)
        self.assertEqual(self.stubs.status().indexed_vectors, 305)

    def test_compact_index_folds_the_growing_segment(self):
        self.upsert(["g%03d" % i for i in range(120)])
        self.assertGreater(self.stubs.status().growing_vectors, 0)
        swap = self.stubs.admin.CompactIndex(admin_pb2.CompactIndexRequest(),
                                             timeout=e2e.RPC_TIMEOUT_S)
        self.assertEqual(swap.serving.origin, "compaction")
        status = self.stubs.status()
        self.assertEqual(status.growing_vectors, 0)
        self.assertEqual(status.indexed_vectors, 120)
        self.assertEqual(status.index_version, swap.serving.name)


if __name__ == "__main__":
    e2e.main()
