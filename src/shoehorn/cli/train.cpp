// shoehorn train: runs shoehorn-train, the trainer executable, with the same arguments and
// passes its output and exit status through (see train_main in cli.hpp for why it is apart).
#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <ostream>

#include "shoehorn/cli/cli.hpp"
#include "shoehorn/io/error.hpp"

extern char** environ;

namespace shoehorn::cli {

namespace {

namespace fs = std::filesystem;

// Beside the running executable (an installed pair), else where the build put it.
std::string trainer_executable() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path beside = self.parent_path() / "shoehorn-train";
    if (fs::is_regular_file(beside, ec)) return beside.string();
  }
  if (fs::is_regular_file(SHOEHORN_TRAIN_EXE, ec)) return SHOEHORN_TRAIN_EXE;
  fail("shoehorn-train", "the trainer executable is neither beside this one nor at " SHOEHORN_TRAIN_EXE);
}

struct Pipe {
  int read = -1, write = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) fail("shoehorn train", std::string("pipe: ") + std::strerror(errno));
    read = fds[0];
    write = fds[1];
  }
};

// Copies what arrives on the pipes to the streams until both close.
void forward(std::array<pollfd, 2> fds, std::array<std::ostream*, 2> streams) {
  int open = 2;
  while (open > 0) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      fail("shoehorn train", std::string("poll: ") + std::strerror(errno));
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buffer[4096];
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        streams[i]->write(buffer, n).flush();
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open;
      }
    }
  }
}

// Runs program with args; its stdout and stderr go to io as they come. Returns its status.
int run_program(const std::string& program, const std::vector<std::string>& args, Io io) {
  Pipe out, err;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out.write, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err.write, STDERR_FILENO);
  std::vector<std::string> all = {program};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out.write);
  ::close(err.write);
  if (spawned != 0) {
    ::close(out.read);
    ::close(err.read);
    fail(program, std::string("cannot start: ") + std::strerror(spawned));
  }
  forward({pollfd{out.read, POLLIN, 0}, pollfd{err.read, POLLIN, 0}}, {&io.out, &io.err});
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  fail(program, "killed by signal " + std::to_string(WTERMSIG(status)));
}

}  // namespace

void add_train(CLI::App& app, Io io) {
  CLI::App* cmd = app.add_subcommand(
      "train", "Train a model from a config file (shoehorn train --help for the options)");
  cmd->prefix_command();  // every argument, --help included, is the trainer's
  cmd->set_help_flag();
  cmd->callback([cmd, io] { throw ExitStatus{run_program(trainer_executable(), cmd->remaining(), io)}; });
}

}  // namespace shoehorn::cli
