// download_file / unpack_archive / fetch_dataset against a local Python HTTP server
// (tests/data/http_test_server.py), so no test touches the real network.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include "dcl/data/download.h"
#include "dcl/data/image_set.h"

namespace fs = std::filesystem;
using dcl::data::DataError;
using dcl::data::DatasetInfo;
using dcl::data::RemoteFile;

namespace {

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& path, const std::string& data) { std::ofstream(path, std::ios::binary) << data; }

std::string md5_hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_md5(), nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) hex += {kHex[digest[i] >> 4], kHex[digest[i] & 0xf]};
  return hex;
}

// The message of the DataError `f` throws ("" plus a test failure when it throws none).
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const DataError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a DataError";
  return "";
}

// A port on 127.0.0.1 that nothing listens on: bind to port 0, note the port, close.
int closed_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size) != 0) {
    close(fd);
    return -1;
  }
  close(fd);
  return ntohs(addr.sin_port);
}

// Any file left with the temporary ".part" suffix below `dir`.
bool has_part_files(const fs::path& dir) {
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.path().extension() == ".part") return true;
  return false;
}

class DownloadTest : public testing::Test {
 protected:
  // One server for the whole suite: it serves `root_`, which the tests never modify.
  static void SetUpTestSuite() {
    // A proxy from the environment must not intercept connections to 127.0.0.1.
    setenv("NO_PROXY", "127.0.0.1,localhost", 1);
    setenv("no_proxy", "127.0.0.1,localhost", 1);

    char root_template[] = "/tmp/dcl_download_root_XXXXXX";
    root_ = mkdtemp(root_template);
    good_ = std::string(100000, '\0');
    for (size_t i = 0; i < good_.size(); ++i) good_[i] = char((i * 7 + 3) % 251);
    write_file(root_ / "good.bin", good_);
    start_server();
  }

  static void start_server() {
    int to_child[2], from_child[2];
    ASSERT_EQ(pipe(to_child), 0);
    ASSERT_EQ(pipe(from_child), 0);
    const std::string script = std::string(DCL_TEST_SOURCE_DIR) + "/data/http_test_server.py";
    server_pid_ = fork();
    ASSERT_GE(server_pid_, 0);
    if (server_pid_ == 0) {
      dup2(to_child[0], STDIN_FILENO);
      dup2(from_child[1], STDOUT_FILENO);
      close(to_child[0]), close(to_child[1]), close(from_child[0]), close(from_child[1]);
      execlp("python3", "python3", script.c_str(), root_.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    server_stdin_ = to_child[1];  // closing it (or our death) makes the server exit

    // Wait for the port line, giving up after 20 s rather than hanging the suite.
    std::string line;
    pollfd p{from_child[0], POLLIN, 0};
    char c;
    while (line.empty() || line.back() != '\n') {
      if (poll(&p, 1, 20000) <= 0 || read(from_child[0], &c, 1) != 1) break;
      line += c;
    }
    close(from_child[0]);
    port_ = std::atoi(line.c_str());
    ASSERT_GT(port_, 0) << "test server did not start (python3 " << script << ")";
  }

  static void TearDownTestSuite() {
    if (server_stdin_ >= 0) close(server_stdin_);
    if (server_pid_ > 0) {
      kill(server_pid_, SIGTERM);
      waitpid(server_pid_, nullptr, 0);
    }
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  void SetUp() override {
    ASSERT_GT(port_, 0) << "no test server";
    char out_template[] = "/tmp/dcl_download_out_XXXXXX";
    out_ = mkdtemp(out_template);
  }

  void TearDown() override {
    std::error_code ec;
    fs::remove_all(out_, ec);
  }

  static std::string url(const std::string& path) { return "http://127.0.0.1:" + std::to_string(port_) + "/" + path; }

  // A dataset made of the served plain file and archive, as the registry would describe it.
  static DatasetInfo test_dataset() {
    DatasetInfo info;
    info.name = "testset";
    info.downloads = {
        RemoteFile{"https://example.invalid/data/good.bin", "good.bin", md5_hex(good_), false},
        RemoteFile{"https://example.invalid/data/archive.tar.gz", "archive.tar.gz",
                   md5_hex(read_file(root_ / "archive.tar.gz")), true},
    };
    info.train_files = {"good.bin"};
    info.test_files = {"archive/inner.txt"};
    return info;
  }

  static inline fs::path root_;
  static inline std::string good_;
  static inline pid_t server_pid_ = -1;
  static inline int server_stdin_ = -1;
  static inline int port_ = 0;
  fs::path out_;
};

TEST_F(DownloadTest, SuccessWritesVerifiedFileAndReportsProgress) {
  const fs::path dest = out_ / "good.bin";
  long long last_now = -1, last_total = -1;
  dcl::data::download_file(url("good.bin"), dest.string(), md5_hex(good_), [&](long long now, long long total) {
    last_now = now;
    last_total = total;
  });
  EXPECT_EQ(read_file(dest), good_);
  EXPECT_FALSE(fs::exists(dest.string() + ".part"));
  EXPECT_EQ(last_now, static_cast<long long>(good_.size()));
  EXPECT_EQ(last_total, static_cast<long long>(good_.size()));
}

TEST_F(DownloadTest, ChecksumMismatchKeepsNothing) {
  const fs::path dest = out_ / "good.bin";
  const std::string expected = md5_hex("not the served content");
  const std::string message = error_of([&] { dcl::data::download_file(url("good.bin"), dest.string(), expected); });
  EXPECT_NE(message.find(expected), std::string::npos) << message;
  EXPECT_NE(message.find(md5_hex(good_)), std::string::npos) << message;
  EXPECT_NE(message.find(url("good.bin")), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(dest));
  EXPECT_FALSE(has_part_files(out_));
}

TEST_F(DownloadTest, InterruptedTransferKeepsNothing) {
  const fs::path dest = out_ / "good.bin";
  const std::string message = error_of([&] { dcl::data::download_file(url("truncated/good.bin"), dest.string(), ""); });
  EXPECT_NE(message.find("interrupted"), std::string::npos) << message;
  EXPECT_NE(message.find(std::to_string(good_.size())), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(dest));
  EXPECT_FALSE(has_part_files(out_));
}

TEST_F(DownloadTest, HttpErrorIsReported) {
  const fs::path dest = out_ / "missing.bin";
  const std::string message = error_of([&] { dcl::data::download_file(url("missing.bin"), dest.string(), ""); });
  EXPECT_NE(message.find("404"), std::string::npos) << message;
  EXPECT_NE(message.find(url("missing.bin")), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(dest));
  EXPECT_FALSE(has_part_files(out_));
}

TEST_F(DownloadTest, UnpackArchiveExtractsFiles) {
  dcl::data::unpack_archive((root_ / "archive.tar.gz").string(), (out_ / "x").string());
  EXPECT_EQ(read_file(out_ / "x/archive/inner.txt"), "hello from the archive\n");
  EXPECT_EQ(fs::file_size(out_ / "x/archive/sub/data.bin"), 256u * 64u);
  EXPECT_FALSE(has_part_files(out_));
}

TEST_F(DownloadTest, UnpackArchiveRejectsParentDirectoryEntries) {
  const fs::path dir = out_ / "x" / "y";
  const std::string message =
      error_of([&] { dcl::data::unpack_archive((root_ / "evil.tar.gz").string(), dir.string()); });
  EXPECT_NE(message.find("../escaped.txt"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(out_ / "x" / "escaped.txt"));
}

TEST_F(DownloadTest, FetchDatasetThroughMirrorThenSkipsVerifiedFiles) {
  const DatasetInfo info = test_dataset();
  const fs::path dir = out_ / "testset";
  dcl::data::fetch_dataset(info, dir.string(), url(""), /*show_progress=*/false);
  EXPECT_EQ(read_file(dir / "good.bin"), good_);
  EXPECT_EQ(read_file(dir / "archive/inner.txt"), "hello from the archive\n");
  EXPECT_TRUE(fs::exists(dir / "archive.tar.gz"));
  EXPECT_FALSE(has_part_files(out_));

  // Everything is verified now, so a mirror nobody listens on must not matter.
  const std::string nowhere = "http://127.0.0.1:" + std::to_string(closed_port()) + "/";
  EXPECT_NO_THROW(dcl::data::fetch_dataset(info, dir.string(), nowhere, false));

  // A missing extracted file is restored from the verified archive, still without network.
  fs::remove(dir / "archive/inner.txt");
  EXPECT_NO_THROW(dcl::data::fetch_dataset(info, dir.string(), nowhere, false));
  EXPECT_EQ(read_file(dir / "archive/inner.txt"), "hello from the archive\n");

  // A damaged copy is replaced by a fresh download.
  write_file(dir / "good.bin", "damaged");
  dcl::data::fetch_dataset(info, dir.string(), url(""), false);
  EXPECT_EQ(read_file(dir / "good.bin"), good_);
}

TEST_F(DownloadTest, UnreachableServerFailsFastAndSaysWhatToPlaceWhere) {
  const DatasetInfo info = test_dataset();
  const fs::path dir = out_ / "testset";
  const std::string nowhere = "http://127.0.0.1:" + std::to_string(closed_port()) + "/";
  const auto start = std::chrono::steady_clock::now();
  const std::string message = error_of([&] { dcl::data::fetch_dataset(info, dir.string(), nowhere, false); });
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_NE(message.find("cannot be reached"), std::string::npos) << message;
  EXPECT_NE(message.find(dir.string()), std::string::npos) << message;
  for (const auto& f : info.downloads) {
    EXPECT_NE(message.find(f.filename), std::string::npos) << message;
    EXPECT_NE(message.find(f.url), std::string::npos) << message;
  }
  EXPECT_NE(message.find("archive/inner.txt"), std::string::npos) << message;
  EXPECT_FALSE(has_part_files(out_));
}

}  // namespace

namespace {

TEST_F(DownloadTest, AUserPlacedFileWithAWrongChecksumIsKeptWhenTheDownloadFails) {
  const DatasetInfo info = test_dataset();
  const fs::path dir = out_ / "placed";
  fs::create_directories(dir);
  write_file(dir / "good.bin", "the user's own copy");
  const std::string nowhere = "http://127.0.0.1:" + std::to_string(closed_port()) + "/";
  const std::string message = error_of([&] { dcl::data::fetch_dataset(info, dir.string(), nowhere, false); });
  EXPECT_NE(message.find((dir / "good.bin").string() + " was kept as it was"), std::string::npos) << message;
  EXPECT_EQ(read_file(dir / "good.bin"), "the user's own copy");
  EXPECT_FALSE(has_part_files(out_));
}

}  // namespace
