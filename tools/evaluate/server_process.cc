#include "tools/evaluate/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

extern char** environ;

namespace zhongcao::evaluate {
namespace {

std::string ReadAll(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Tail(const std::string& text, size_t bytes = 2000) {
  return text.size() <= bytes ? text : text.substr(text.size() - bytes);
}

// Waits for `pid` up to `timeout`; true when it exited (status in *status).
bool WaitFor(pid_t pid, absl::Duration timeout, int* status) {
  const absl::Time end = absl::Now() + timeout;
  for (;;) {
    const pid_t r = ::waitpid(pid, status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) return true;
    if (absl::Now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    const ServerProcessOptions& o) {
  if (!std::filesystem::is_regular_file(o.binary)) {
    return absl::NotFoundError(absl::StrCat(
        "server binary ", o.binary.string(),
        " not found (build the zhongcao_server target, or pass --server_binary)"));
  }
  std::vector<std::string> args = {
      o.binary.string(),
      absl::StrCat("--data_dir=", o.data_dir.string()),
      "--listen=127.0.0.1:0",
      absl::StrCat("--dim=", o.dim),
      absl::StrCat("--index_factory=", o.index_factory),
      absl::StrCat("--history_limit=", o.history_limit),
  };
  if (!o.config.empty()) args.push_back(absl::StrCat("--config=", o.config.string()));
  args.insert(args.end(), o.extra_args.begin(), o.extra_args.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  // The environment as it is, with one OpenMP thread per FAISS search (see
  // ../shared/STACK.md): the server's own threads share the cores.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "OMP_NUM_THREADS=", 16) != 0) env_strings.emplace_back(*e);
  }
  env_strings.emplace_back("OMP_NUM_THREADS=1");
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string log = o.log.string();
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  pid_t pid = 0;
  const int err =
      ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) {
    return absl::InternalError(
        absl::StrCat("starting ", o.binary.string(), ": ", std::strerror(err)));
  }
  std::unique_ptr<ServerProcess> server(new ServerProcess(pid, 0, o.log));

  // The server writes "serving DIR on port N (...)" once it accepts calls.
  static const std::regex kServing(R"(serving .* on port ([0-9]+))");
  const absl::Time end = absl::Now() + o.start_timeout;
  for (;;) {
    const std::string text = ReadAll(o.log);
    std::smatch match;
    if (std::regex_search(text, match, kServing)) {
      server->port_ = std::stoi(match[1].str());
      return server;
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      server->pid_ = -1;
      return absl::InternalError(
          absl::StrCat("the server exited before serving (",
                       WIFEXITED(status) ? "exit code " : "signal ",
                       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
                       "); its log ", log, " ends:\n", Tail(text)));
    }
    if (absl::Now() >= end) {
      return absl::DeadlineExceededError(absl::StrCat(
          "the server did not start within ", absl::FormatDuration(o.start_timeout),
          "; its log ", log, " ends:\n", Tail(text)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

absl::Status ServerProcess::Stop() {
  if (pid_ <= 0) return absl::OkStatus();
  const pid_t pid = pid_;
  pid_ = -1;
  ::kill(pid, SIGTERM);
  int status = 0;
  if (!WaitFor(pid, absl::Seconds(60), &status)) {
    ::kill(pid, SIGKILL);
    WaitFor(pid, absl::Seconds(10), &status);
    return absl::DeadlineExceededError(absl::StrCat(
        "the server did not stop within 60 s; killed (log ", log_.string(), ")"));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat("the server stopped uncleanly; its log ",
                                            log_.string(), " ends:\n",
                                            Tail(ReadAll(log_))));
  }
  return absl::OkStatus();
}

ServerProcess::~ServerProcess() { (void)Stop(); }

std::filesystem::path FindServerBinary(const std::filesystem::path& self) {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::canonical(self, ec);
  if (!ec) {
    // <build>/tools/evaluate/zhongcao_evaluate -> <build>/service/zhongcao_server
    const std::filesystem::path beside =
        exe.parent_path().parent_path().parent_path() / "service" / "zhongcao_server";
    if (std::filesystem::is_regular_file(beside)) return beside;
  }
  if (const char* path = std::getenv("PATH")) {
    for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
      const std::filesystem::path candidate =
          std::filesystem::path(std::string(dir)) / "zhongcao_server";
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  return {};
}

}  // namespace zhongcao::evaluate
