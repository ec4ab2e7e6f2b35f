"""Shared helpers for the zhongcao end-to-end tests.

The tests drive a real zhongcao_server process over gRPC. Two environment
variables say where things are (tests/e2e/CMakeLists.txt sets both):

  ZHONGCAO_SERVER        path of the zhongcao_server binary
  ZHONGCAO_PYTHON_STUBS  directory holding zhongcao/v1/*_pb2*.py (the build's
                         <build>/python, made by the zhongcao_python_stubs target)

Run with the system interpreter, /usr/bin/python3, which has grpcio and
protobuf. Each Server gets its own port (it listens on port 0 and the port is
read from its log) and each test its own temporary data directory, so test
processes can run in parallel.
"""

import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest


def _require_env(name):
    value = os.environ.get(name, "")
    if not value:
        sys.stderr.write(
            "zhongcao e2e: set %s (see tests/e2e/zhongcao_e2e.py)\n" % name)
        sys.exit(2)
    return value


SERVER_BINARY = _require_env("ZHONGCAO_SERVER")
# Creator caps off: see e2e.toml.
E2E_CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "e2e.toml")
STUBS_DIR = _require_env("ZHONGCAO_PYTHON_STUBS")
if not os.path.isfile(os.path.join(STUBS_DIR, "zhongcao", "v1", "recommend_pb2.py")):
    sys.stderr.write("zhongcao e2e: no stubs in %s; build zhongcao_python_stubs\n"
                     % STUBS_DIR)
    sys.exit(2)
sys.path.insert(0, STUBS_DIR)

import grpc  # noqa: E402
from google.protobuf import descriptor_pb2, descriptor_pool  # noqa: E402
from google.protobuf import message_factory  # noqa: E402

from zhongcao.v1 import admin_pb2, admin_pb2_grpc  # noqa: E402,F401
from zhongcao.v1 import ingest_pb2, ingest_pb2_grpc  # noqa: E402,F401
from zhongcao.v1 import recommend_pb2, recommend_pb2_grpc  # noqa: E402,F401
from zhongcao.v1 import types_pb2  # noqa: E402,F401

DIM = 64
# Generous: the machine running the tests may be slow and busy. No test
# asserts on timing.
START_TIMEOUT_S = 180
STOP_TIMEOUT_S = 180
RPC_TIMEOUT_S = 60

PRODUCT = types_pb2.ITEM_KIND_PRODUCT
NOTE = types_pb2.ITEM_KIND_NOTE
VIDEO = types_pb2.ITEM_KIND_VIDEO
LIVE = types_pb2.ITEM_KIND_LIVE

_SERVING_RE = re.compile(r"zhongcao: serving .* on port (\d+) \(")


class Stubs(object):
    def __init__(self, channel):
        self.channel = channel
        self.recommend = recommend_pb2_grpc.RecommendServiceStub(channel)
        self.ingest = ingest_pb2_grpc.IngestServiceStub(channel)
        self.admin = admin_pb2_grpc.AdminServiceStub(channel)

    def status(self):
        return self.admin.GetStatus(admin_pb2.GetStatusRequest(), timeout=RPC_TIMEOUT_S)


class Server(object):
    """One zhongcao_server process over `data_dir`; logs go to `log_dir`."""

    def __init__(self, data_dir, log_dir, dim=DIM, extra_args=()):
        self.data_dir = data_dir
        self.log_dir = log_dir
        self.dim = dim
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None
        self.channel = None
        self.stubs = None
        self.log_path = None
        self._starts = 0

    # -- lifecycle ---------------------------------------------------------

    def start(self):
        assert self.proc is None, "already running"
        self._starts += 1
        self.log_path = os.path.join(self.log_dir, "server-%d.log" % self._starts)
        env = dict(os.environ)
        env["OMP_NUM_THREADS"] = "1"
        args = [SERVER_BINARY, "--data_dir=" + self.data_dir,
                "--listen=127.0.0.1:0", "--dim=%d" % self.dim,
                "--config=" + E2E_CONFIG] + self.extra_args
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            match = _SERVING_RE.search(self.log())
            if match:
                self.port = int(match.group(1))
                break
            if self.proc.poll() is not None:
                rc = self.proc.returncode
                self.proc = None
                raise AssertionError("zhongcao_server exited with %s before serving:\n%s"
                                     % (rc, self.log()))
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError("zhongcao_server not serving after %ds:\n%s"
                                     % (START_TIMEOUT_S, self.log()))
            time.sleep(0.05)
        self.channel = grpc.insecure_channel("127.0.0.1:%d" % self.port)
        self.stubs = Stubs(self.channel)
        # The log line comes after the server started; still, confirm that
        # calls are answered before handing the stubs out.
        self.stubs.admin.GetStatus(admin_pb2.GetStatusRequest(),
                                   timeout=START_TIMEOUT_S, wait_for_ready=True)
        return self.stubs

    def stop(self):
        """Clean shutdown with SIGTERM; returns the exit code."""
        if self.proc is None:
            return None
        self._close_channel()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
            raise AssertionError("zhongcao_server ignored SIGTERM for %ds:\n%s"
                                 % (STOP_TIMEOUT_S, self.log()))
        self.proc = None
        return rc

    def kill(self):
        """A crash: SIGKILL, no chance to save anything."""
        if self.proc is None:
            return
        self._close_channel()
        self.proc.kill()
        self.proc.wait()
        self.proc = None

    def _close_channel(self):
        if self.channel is not None:
            self.channel.close()
        self.channel = None
        self.stubs = None

    def log(self):
        if self.log_path is None or not os.path.exists(self.log_path):
            return ""
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


class TempDirs(object):
    """A temporary root with a data directory and a log directory."""

    def __init__(self, prefix):
        self.root = tempfile.mkdtemp(prefix=prefix)
        self.data = os.path.join(self.root, "data")
        self.logs = os.path.join(self.root, "logs")
        os.makedirs(self.logs)

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)


# -- vectors ---------------------------------------------------------------

def normalize(v):
    n = math.sqrt(sum(x * x for x in v))
    return [x / n for x in v]


def unit_vector(rng, dim=DIM):
    return normalize([rng.gauss(0.0, 1.0) for _ in range(dim)])


def near(v, rng, noise=0.05):
    """A unit vector close to unit vector `v`."""
    return normalize([x + rng.gauss(0.0, noise) for x in v])


def orthogonal_to(v, rng, dim=DIM):
    """A unit vector with inner product ~0 with unit vector `v`."""
    w = unit_vector(rng, dim)
    d = dot(v, w)
    return normalize([b - d * a for a, b in zip(v, w)])


def dot(a, b):
    return sum(x * y for x, y in zip(a, b))


# -- a deterministic catalog ---------------------------------------------------

REGIONS = ("cn-sh", "cn-bj", "sg")
BLOCKED_CREATOR = "cr-blocked"
UNAVAILABLE_ITEM = "n-013"
HOUR_MS = 3600 * 1000


class Catalog(object):
    """Creators, products and content items built from `rng`.

    Products p-XX: stock 0 when XX % 5 == 0; p-03 only in cn-bj, p-07 only in sg.
    Content n-XXX (NOTE), v-XXX (VIDEO), l-XX (LIVE): every 15th by the
    BLOCKED_CREATOR; regions by index % 7 (0: cn-bj, 1: sg, 2: cn-sh+cn-bj,
    else everywhere); UNAVAILABLE_ITEM is taken down.
    """

    def __init__(self, rng, now_ms, prefix=""):
        self.now_ms = now_ms
        self.creators = []
        tiers = [types_pb2.CREATOR_TIER_KOL, types_pb2.CREATOR_TIER_KOC,
                 types_pb2.CREATOR_TIER_BRAND, types_pb2.CREATOR_TIER_BRAND_STAFF]
        for i in range(10):
            self.creators.append(types_pb2.Creator(
                id="%scr-%02d" % (prefix, i), tier=tiers[i % 4], name="Creator %d" % i,
                region=REGIONS[i % 3], followers=1000 * (i + 1)))
        self.creators.append(types_pb2.Creator(
            id=prefix + BLOCKED_CREATOR, tier=types_pb2.CREATOR_TIER_KOC,
            name="Spammy", region="cn-sh", followers=5))

        self.items = []
        for i in range(20):
            regions = {3: ["cn-bj"], 7: ["sg"]}.get(i, [])
            self.items.append(types_pb2.Item(
                id="%sp-%02d" % (prefix, i), kind=PRODUCT,
                creator_id=("%scr-02" % prefix) if i % 2 else "",
                regions=regions, category="beauty" if i % 3 else "snacks",
                title="Product %d" % i, embedding=unit_vector(rng),
                created_at_ms=now_ms - (24 + i) * HOUR_MS,
                product=types_pb2.ProductInfo(
                    brand="Brand %d" % (i % 4), price_cents=990 + 100 * i, currency="CNY",
                    stock=0 if i % 5 == 0 else 10 + i, sales=10 * i,
                    rating=0.0 if i == 1 else 3.5 + (i % 3) * 0.5)))
        content = ([("n-%03d", NOTE, i) for i in range(80)] +
                   [("v-%03d", VIDEO, i) for i in range(40)] +
                   [("l-%02d", LIVE, i) for i in range(5)])
        for pattern, kind, i in content:
            item_id = prefix + (pattern % i)
            if i % 15 == 14:
                creator = prefix + BLOCKED_CREATOR
            else:
                creator = "%scr-%02d" % (prefix, i % 10)
            regions = {0: ["cn-bj"], 1: ["sg"], 2: ["cn-sh", "cn-bj"]}.get(i % 7, [])
            self.items.append(types_pb2.Item(
                id=item_id, kind=kind, creator_id=creator, regions=regions,
                category="beauty", title="%s %d" % (types_pb2.ItemKind.Name(kind), i),
                embedding=unit_vector(rng),
                created_at_ms=now_ms - int((1 + 1.5 * i) * HOUR_MS),
                linked_product_ids=["%sp-%02d" % (prefix, i % 20)],
                tags=["1111"] if i % 9 == 0 else [],
                unavailable=(item_id == prefix + UNAVAILABLE_ITEM)))
        self.by_id = {item.id: item for item in self.items}


def eligible(item, region, blocked=(), seen=(), kinds=()):
    """Whether `item` may appear in a feed for `region`: what the service's
    filters promise, computed from what the test ingested."""
    if item.id in seen or item.unavailable:
        return False
    if item.kind == PRODUCT and item.product.stock <= 0:
        return False
    if region and item.regions and region not in item.regions:
        return False
    if item.creator_id and item.creator_id in blocked:
        return False
    if kinds and item.kind not in kinds:
        return False
    return True


def chunks(seq, n):
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def context(now_ms, region="", surface=types_pb2.SURFACE_HOME):
    return types_pb2.Context(region=region, now_ms=now_ms, surface=surface)


def walk_feed(stubs, request, max_pages=500):
    """Follows next_page_token from `request` until the feed ends; returns the
    responses, page 1 first."""
    pages = []
    req = recommend_pb2.GetFeedRequest()
    req.CopyFrom(request)
    while True:
        response = stubs.recommend.GetFeed(req, timeout=RPC_TIMEOUT_S)
        pages.append(response)
        if not response.next_page_token:
            return pages
        if len(pages) >= max_pages:
            raise AssertionError("feed did not end within %d pages" % max_pages)
        req.page_token = response.next_page_token


def ids_of(response):
    return [scored.item_id for scored in response.items]


# -- gRPC services without generated stubs -------------------------------------
#
# grpc.reflection.v1alpha and grpc.health.v1 are served by the C++ server, but
# their Python packages (grpcio-reflection, grpcio-health-checking) are not
# part of the system python. The few message fields the tests need are
# declared here instead, in a private descriptor pool.

def _field(message, name, number, ftype, label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL,
           type_name=None):
    f = message.field.add(name=name, number=number, type=ftype, label=label)
    if type_name:
        f.type_name = type_name


def _build_minimal_protos():
    T = descriptor_pb2.FieldDescriptorProto
    pool = descriptor_pool.DescriptorPool()

    refl = descriptor_pb2.FileDescriptorProto(
        name="e2e/reflection_min.proto", package="grpc.reflection.v1alpha",
        syntax="proto3")
    req = refl.message_type.add(name="ServerReflectionRequest")
    _field(req, "host", 1, T.TYPE_STRING)
    _field(req, "list_services", 7, T.TYPE_STRING)
    svc = refl.message_type.add(name="ServiceResponse")
    _field(svc, "name", 1, T.TYPE_STRING)
    lst = refl.message_type.add(name="ListServiceResponse")
    _field(lst, "service", 1, T.TYPE_MESSAGE, T.LABEL_REPEATED,
           ".grpc.reflection.v1alpha.ServiceResponse")
    err = refl.message_type.add(name="ErrorResponse")
    _field(err, "error_code", 1, T.TYPE_INT32)
    _field(err, "error_message", 2, T.TYPE_STRING)
    resp = refl.message_type.add(name="ServerReflectionResponse")
    _field(resp, "valid_host", 1, T.TYPE_STRING)
    _field(resp, "list_services_response", 6, T.TYPE_MESSAGE,
           type_name=".grpc.reflection.v1alpha.ListServiceResponse")
    _field(resp, "error_response", 7, T.TYPE_MESSAGE,
           type_name=".grpc.reflection.v1alpha.ErrorResponse")
    pool.Add(refl)

    health = descriptor_pb2.FileDescriptorProto(
        name="e2e/health_min.proto", package="grpc.health.v1", syntax="proto3")
    hreq = health.message_type.add(name="HealthCheckRequest")
    _field(hreq, "service", 1, T.TYPE_STRING)
    hresp = health.message_type.add(name="HealthCheckResponse")
    _field(hresp, "status", 1, T.TYPE_INT32)  # the enum on the wire; 1 = SERVING
    pool.Add(health)

    def cls(full_name):
        desc = pool.FindMessageTypeByName(full_name)
        if hasattr(message_factory, "GetMessageClass"):
            return message_factory.GetMessageClass(desc)
        return message_factory.MessageFactory(pool).GetPrototype(desc)

    return {name: cls(name) for name in (
        "grpc.reflection.v1alpha.ServerReflectionRequest",
        "grpc.reflection.v1alpha.ServerReflectionResponse",
        "grpc.health.v1.HealthCheckRequest",
        "grpc.health.v1.HealthCheckResponse")}


_MINIMAL = None


def _minimal(name):
    global _MINIMAL
    if _MINIMAL is None:
        _MINIMAL = _build_minimal_protos()
    return _MINIMAL[name]


def reflection_service_names(channel):
    """The services the server lists through gRPC server reflection."""
    try:
        from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
    except ImportError:
        reflection_pb2 = None
    if reflection_pb2 is not None:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="*")
        responses = stub.ServerReflectionInfo(iter([request]), timeout=RPC_TIMEOUT_S)
    else:
        Request = _minimal("grpc.reflection.v1alpha.ServerReflectionRequest")
        Response = _minimal("grpc.reflection.v1alpha.ServerReflectionResponse")
        call = channel.stream_stream(
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
            request_serializer=Request.SerializeToString,
            response_deserializer=Response.FromString)
        responses = call(iter([Request(list_services="*")]), timeout=RPC_TIMEOUT_S)
    names = []
    for response in responses:
        if response.HasField("error_response"):
            raise AssertionError("reflection error: %s" % response.error_response)
        names.extend(s.name for s in response.list_services_response.service)
    return names


def health_status(channel, service):
    """grpc.health.v1 Check: 1 is SERVING. Raises grpc.RpcError on failure."""
    Request = _minimal("grpc.health.v1.HealthCheckRequest")
    Response = _minimal("grpc.health.v1.HealthCheckResponse")
    check = channel.unary_unary("/grpc.health.v1.Health/Check",
                                request_serializer=Request.SerializeToString,
                                response_deserializer=Response.FromString)
    return check(Request(service=service), timeout=RPC_TIMEOUT_S).status


# -- assertions -----------------------------------------------------------------

class RpcAssertions(object):
    """Mixin for unittest.TestCase."""

    def assertRpcError(self, code, details_prefix, fn, *args, **kwargs):
        """`fn(*args, **kwargs)` fails with `code` and a message starting with
        `details_prefix`; returns the error."""
        kwargs.setdefault("timeout", RPC_TIMEOUT_S)
        try:
            fn(*args, **kwargs)
        except grpc.RpcError as e:
            self.assertEqual(e.code(), code, "wrong status: %s %r" % (e.code(), e.details()))
            if details_prefix is not None:
                self.assertTrue((e.details() or "").startswith(details_prefix),
                                "message %r does not start with %r"
                                % (e.details(), details_prefix))
            return e
        self.fail("expected %s (%s...), the call succeeded" % (code, details_prefix))


def main():
    unittest.main(verbosity=2)
