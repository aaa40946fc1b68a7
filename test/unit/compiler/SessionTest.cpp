//===- SessionTest.cpp - The in-process compiler through its C API --------===//
//
// libmodc.so as a program-induction experiment uses it (modc/modc.h): checks
// with structured diagnostics, compiles to a loaded library, the content
// cache, bad arguments and bad bytes, and sessions on several threads.
//
//===----------------------------------------------------------------------===//

#include "modc/modc.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <dlfcn.h>
#include <fstream>
#include <malloc.h>
#include <pthread.h>
#include <random>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

struct Diag {
  std::string message;
  int line, col, isError;
};

std::vector<Diag> diagnostics(modc_session *s) {
  std::vector<Diag> out;
  for (size_t i = 0; i < modc_diagnostic_count(s); ++i) {
    Diag d;
    const char *m = modc_diagnostic(s, i, &d.line, &d.col, &d.isError);
    d.message = m ? m : "";
    out.push_back(d);
  }
  return out;
}

int check(modc_session *s, const std::string &src, const char *options = "") {
  return modc_check(s, src.data(), src.size(), "t.mod", options);
}

const char *kScale = R"(model scale;
dim D = 4;
dyn N;
module Scale<F>(x: f32[N, F]) -> f32[N, F] {
  param s: f32[F] = ones;
  return x * s;
}
layer: Scale<D>;
entry forward(x: f32[N, D]) -> f32[N, D] { return layer(x); }
)";

TEST(SessionTest, CheckReportsLocatedErrors) {
  modc_session *s = modc_session_create();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(check(s, kScale), 0);
  EXPECT_EQ(modc_diagnostic_count(s), 0u);
  std::string bad = "model m;\ndyn N;\nmodule M(x: f32[N, 4]) -> f32[N, 8] "
                    "{ return x; }\nm: M;\nentry f(x: f32[N, 4]) -> f32[N, 4]"
                    " { return m(x) + nothing; }\n";
  EXPECT_EQ(check(s, bad), 1);
  std::vector<Diag> d = diagnostics(s);
  ASSERT_GE(d.size(), 2u);
  // In the command line's order: by location, each error before its notes.
  EXPECT_EQ(d[0].line, 3);
  EXPECT_TRUE(d[0].isError);
  EXPECT_NE(d[0].message.find("declared result is f32[N, 8]"),
            std::string::npos)
      << d[0].message;
  bool unknown = false;
  for (const Diag &x : d)
    unknown |= x.line == 5 && x.message == "unknown name 'nothing'";
  EXPECT_TRUE(unknown);
  // The next call replaces the diagnostics.
  EXPECT_EQ(check(s, kScale), 0);
  EXPECT_EQ(modc_diagnostic_count(s), 0u);
  EXPECT_EQ(modc_diagnostic(s, 0, nullptr, nullptr, nullptr), nullptr);
  // A note follows its error: where the mismatched module is defined.
  std::string call = "model m;\ndyn N;\nmodule M(x: f32[N, 4]) -> f32[N, 4] "
                     "{ return x; }\nm: M;\nentry f(x: f32[N, 5]) -> f32[N, 4]"
                     " { return m(x); }\n";
  EXPECT_EQ(check(s, call), 1);
  d = diagnostics(s);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_TRUE(d[0].isError);
  EXPECT_EQ(d[0].line, 5);
  EXPECT_FALSE(d[1].isError);
  EXPECT_EQ(d[1].line, 3);
  modc_session_destroy(s);
}

TEST(SessionTest, OptionsAsOnTheCommandLine) {
  modc_session *s = modc_session_create();
  const char *src = "model m;\ndim D = 4;\ndyn N;\nentry f(x: f32[N, D]) -> "
                    "f32[N, 8] { return concat(x, x); }\n";
  EXPECT_EQ(check(s, src), 0);
  EXPECT_EQ(check(s, src, "-D D=5"), 1); // concat gives 10, not 8
  EXPECT_EQ(check(s, src, "-DD=4 -O0"), 0);
  EXPECT_EQ(check(s, src, "-O7"), 2);
  EXPECT_EQ(check(s, src, "-D D"), 2);
  EXPECT_EQ(check(s, src, "-D D=abc"), 2);
  ASSERT_EQ(modc_diagnostic_count(s), 1u);
  EXPECT_NE(std::string(modc_diagnostic(s, 0, nullptr, nullptr, nullptr))
                .find("got 'D=abc'"),
            std::string::npos);
  EXPECT_EQ(check(s, src, "--frobnicate"), 2);
  EXPECT_EQ(check(s, src, "--target=tpu"), 2);
  ASSERT_EQ(modc_diagnostic_count(s), 1u);
  EXPECT_NE(std::string(modc_diagnostic(s, 0, nullptr, nullptr, nullptr))
                .find("unknown --target 'tpu'"),
            std::string::npos);
  modc_session_destroy(s);
}

TEST(SessionTest, CompilesToALoadedLibraryAndCaches) {
  modc_session *s = modc_session_create();
  modc_library *lib = nullptr;
  ASSERT_EQ(
      modc_compile(s, kScale, std::strlen(kScale), "scale.mod", "-O2", &lib),
      0);
  ASSERT_NE(lib, nullptr);
  using Create = void *(*)();
  using Init = int (*)(void *, uint64_t);
  using Destroy = void (*)(void *);
  using Forward = int (*)(void *, int64_t, const float *, float *);
  auto create =
      reinterpret_cast<Create>(modc_library_symbol(lib, "scale_create"));
  auto destroy =
      reinterpret_cast<Destroy>(modc_library_symbol(lib, "scale_destroy"));
  auto forward =
      reinterpret_cast<Forward>(modc_library_symbol(lib, "scale_forward"));
  ASSERT_TRUE(create && destroy && forward);
  EXPECT_EQ(modc_library_symbol(lib, "no_such_symbol"), nullptr);
  // Only the library's own symbols, not its dependencies' (dlsym's search).
  EXPECT_EQ(modc_library_symbol(lib, "malloc"), nullptr);
  EXPECT_EQ(modc_library_symbol(lib, "dlopen"), nullptr);
  auto init = reinterpret_cast<Init>(modc_library_symbol(lib, "scale_init"));
  void *model = create();
  ASSERT_NE(model, nullptr);
  ASSERT_EQ(init(model, 0), 0);
  float x[8] = {1, 2, 3, 4, 5, 6, 7, 8}, y[8] = {};
  ASSERT_EQ(forward(model, 2, x, y), 0);
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(y[i], x[i]); // `ones`
  destroy(model);

  // The same program again: the cached library.
  modc_library *again = nullptr;
  ASSERT_EQ(
      modc_compile(s, kScale, std::strlen(kScale), "scale.mod", "-O2", &again),
      0);
  EXPECT_EQ(modc_library_symbol(again, "scale_create"),
            reinterpret_cast<void *>(create));
  // Other options: another library.
  modc_library *other = nullptr;
  ASSERT_EQ(
      modc_compile(s, kScale, std::strlen(kScale), "scale.mod", "-O0", &other),
      0);
  EXPECT_NE(modc_library_symbol(other, "scale_create"),
            reinterpret_cast<void *>(create));

  std::string path = ::testing::TempDir() + "/libscale-session.so";
  EXPECT_EQ(modc_library_write(lib, path.c_str()), 0);
  EXPECT_EQ(access(path.c_str(), R_OK), 0);
  std::remove(path.c_str());
  EXPECT_EQ(modc_library_write(lib, "/nonexistent-dir/x.so"), 2);
  EXPECT_EQ(modc_library_write(lib, nullptr), 2);
  std::string loaded = modc_library_path(lib);
  EXPECT_EQ(access(loaded.c_str(), R_OK), 0);
  modc_library_release(lib);
  modc_library_release(again);
  modc_library_release(other);
  modc_session_destroy(s); // the cache's last reference: the file goes
  EXPECT_NE(access(loaded.c_str(), F_OK), 0);
}

TEST(SessionTest, BadArgumentsAreCode2) {
  modc_session *s = modc_session_create();
  modc_library *lib = reinterpret_cast<modc_library *>(&lib);
  EXPECT_EQ(modc_check(nullptr, "x", 1, nullptr, nullptr), 2);
  EXPECT_EQ(modc_check(s, nullptr, 3, nullptr, nullptr), 2);
  EXPECT_EQ(
      modc_compile(s, kScale, std::strlen(kScale), nullptr, nullptr, nullptr),
      2);
  EXPECT_EQ(modc_compile(nullptr, kScale, 1, nullptr, nullptr, &lib), 2);
  EXPECT_EQ(modc_diagnostic_count(nullptr), 0u);
  EXPECT_EQ(modc_library_symbol(nullptr, "x"), nullptr);
  EXPECT_EQ(modc_library_path(nullptr), nullptr);
  modc_library_release(nullptr);
  modc_session_destroy(nullptr);
  // An empty source is a program with errors, not a crash.
  EXPECT_EQ(modc_check(s, nullptr, 0, nullptr, nullptr), 1);
  lib = nullptr;
  EXPECT_EQ(modc_compile(s, "", 0, nullptr, nullptr, &lib), 1);
  EXPECT_EQ(lib, nullptr);
  modc_session_destroy(s);
}

TEST(SessionTest, CudaTargetBuildsALibraryAndBadArchIsCode2) {
  modc_session *s = modc_session_create();
  EXPECT_EQ(
      modc_check(s, kScale, std::strlen(kScale), "scale.mod", "--target=cuda"),
      0);
  modc_library *lib = nullptr;
  ASSERT_EQ(modc_compile(s, kScale, std::strlen(kScale), "scale.mod",
                         "--target=cuda --gpu-arch=sm_80 --gpu-tf32", &lib),
            0);
  EXPECT_NE(modc_library_symbol(lib, "scale_create"), nullptr);
  modc_library_release(lib);
  lib = nullptr;
  EXPECT_EQ(modc_compile(s, kScale, std::strlen(kScale), "scale.mod",
                         "--target=cuda --gpu-arch=sm_70", &lib),
            2);
  EXPECT_EQ(lib, nullptr);
  ASSERT_EQ(modc_diagnostic_count(s), 1u);
  int line = -1, col = -1, isError = 0;
  std::string message = modc_diagnostic(s, 0, &line, &col, &isError);
  EXPECT_TRUE(isError);
  EXPECT_NE(message.find("sm_70"), std::string::npos) << message;
  modc_session_destroy(s);
}

TEST(SessionTest, AnyBytesGiveDiagnosticsAndTheSessionStaysUsable) {
  modc_session *s = modc_session_create();
  std::mt19937 rng(7);
  std::string base = kScale;
  for (int i = 0; i < 200; ++i) {
    std::string src = base;
    // Random bytes (NULs and invalid UTF-8 included) over the program.
    int edits = 1 + int(rng() % 8);
    for (int k = 0; k < edits; ++k)
      src[rng() % src.size()] = char(rng() % 256);
    int rc = modc_check(s, src.data(), src.size(), "fuzz.mod", "");
    EXPECT_TRUE(rc == 0 || rc == 1);
    if (rc == 1)
      EXPECT_GT(modc_diagnostic_count(s), 0u);
  }
  modc_library *lib = nullptr;
  const char *broken = "model m;\nentry f(x: f32[4]) -> f32[4] { return x @ "
                       "x; }\n";
  EXPECT_EQ(
      modc_compile(s, broken, std::strlen(broken), nullptr, nullptr, &lib), 1);
  ASSERT_EQ(
      modc_compile(s, kScale, std::strlen(kScale), nullptr, nullptr, &lib), 0);
  modc_library_release(lib);
  modc_session_destroy(s);
}

TEST(SessionTest, SessionsOnTwoThreadsAgreeWithOne) {
  std::vector<std::string> programs = {
      kScale,
      "model m;\ndyn N;\nentry f(x: f32[N, 3]) -> f32[N, 3] { return x @ x; "
      "}\n",
      "model m;\ndyn N;\nentry f(x: f32[N, 3]) -> f32[N, 3] { return "
      "softmax(x, axis = 5); }\n",
      std::string(kScale) + "entry g(x: f32[N, D]) -> f32[N, D] { return y; "
                            "}\n"};
  auto run = [&](std::vector<std::string> &out) {
    modc_session *s = modc_session_create();
    for (const std::string &p : programs) {
      int rc = check(s, p);
      std::string text = std::to_string(rc);
      for (const Diag &d : diagnostics(s))
        text += "|" + std::to_string(d.line) + ":" + std::to_string(d.col) +
                " " + d.message;
      out.push_back(text);
      modc_library *lib = nullptr;
      out.push_back(std::to_string(
          modc_compile(s, p.data(), p.size(), nullptr, "-O1", &lib)));
      // The counters are the session's: another thread's compilations of
      // the same programs add nothing to them.
      out.push_back(modc_statistics(s));
      modc_library_release(lib);
    }
    modc_session_destroy(s);
  };
  std::vector<std::string> serial, a, b;
  run(serial);
  std::thread ta([&] { run(a); }), tb([&] { run(b); });
  ta.join();
  tb.join();
  EXPECT_EQ(a, serial);
  EXPECT_EQ(b, serial);
  EXPECT_EQ(serial[0], "0");
  EXPECT_EQ(serial[1], "0");
}

TEST(SessionTest, WritingOverALoadedLibraryLeavesItWorking) {
  modc_session *s = modc_session_create();
  auto compile = [&](const char *factor) {
    std::string src = std::string(kScale);
    src.replace(src.find("x * s"), 5, std::string("x * s * ") + factor);
    modc_library *lib = nullptr;
    EXPECT_EQ(modc_compile(s, src.data(), src.size(), "scale.mod", "", &lib),
              0);
    return lib;
  };
  using Create = void *(*)();
  using Init = int (*)(void *, uint64_t);
  using Forward = int (*)(void *, int64_t, const float *, float *);
  using Destroy = void (*)(void *);
  // y = x * factor through the library behind `handle`.
  auto run = [](void *handle) {
    auto create = reinterpret_cast<Create>(dlsym(handle, "scale_create"));
    auto init = reinterpret_cast<Init>(dlsym(handle, "scale_init"));
    auto forward = reinterpret_cast<Forward>(dlsym(handle, "scale_forward"));
    auto destroy = reinterpret_cast<Destroy>(dlsym(handle, "scale_destroy"));
    void *m = create();
    float x[4] = {1, 1, 1, 1}, y[4] = {};
    EXPECT_EQ(init(m, 0), 0);
    EXPECT_EQ(forward(m, 1, x, y), 0);
    destroy(m);
    return y[0];
  };
  modc_library *two = compile("2.0"), *three = compile("3.0");
  ASSERT_TRUE(two && three);
  // Onto its own file: nothing to do, and it still runs.
  EXPECT_EQ(modc_library_write(two, modc_library_path(two)), 0);
  void *self = dlopen(modc_library_path(two), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(self, nullptr);
  EXPECT_EQ(run(self), 2.0f);
  dlclose(self);
  // A candidate loop reusing one file name: the library loaded from the
  // first write keeps working after the second replaces the file.
  std::string path = ::testing::TempDir() + "/libscale-rewrite.so";
  ASSERT_EQ(modc_library_write(two, path.c_str()), 0);
  void *first = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(first, nullptr);
  ASSERT_EQ(modc_library_write(three, path.c_str()), 0);
  EXPECT_EQ(run(first), 2.0f);
  // Through a symlink: the link stays, its target is replaced.
  std::string link = path + ".link";
  std::remove(link.c_str());
  ASSERT_EQ(symlink(path.c_str(), link.c_str()), 0);
  ASSERT_EQ(modc_library_write(two, link.c_str()), 0);
  char buf[4096];
  EXPECT_GT(readlink(link.c_str(), buf, sizeof buf), 0);
  std::ifstream written(path, std::ios::binary),
      original(modc_library_path(two), std::ios::binary);
  EXPECT_TRUE(std::equal(std::istreambuf_iterator<char>(written), {},
                         std::istreambuf_iterator<char>(original), {}));
  dlclose(first);
  std::remove(link.c_str());
  std::remove(path.c_str());
  modc_library_release(two);
  modc_library_release(three);
  modc_session_destroy(s);
}

/// Resident memory in kB.
long residentKb() {
  FILE *f = std::fopen("/proc/self/status", "r");
  if (!f)
    return -1;
  char line[256];
  long kb = -1;
  while (std::fgets(line, sizeof line, f))
    if (std::strncmp(line, "VmRSS:", 6) == 0)
      kb = std::atol(line + 6);
  std::fclose(f);
  return kb;
}

TEST(SessionTest, ManyCompilesInOneSessionKeepMemoryFlat) {
  // Program induction compiles thousands of candidates in one session.
  // Each link used to leave ~300 KB behind (lld's thread-local arenas on
  // the session's thread): 60 compiles grew by ~18 MB. The cache holds its
  // libraries up to its bound (64 MiB, ~70 of these) and then recycles.
  modc_session *s = modc_session_create();
  auto compileOne = [&](int i) {
    std::string src = "model m;\n// candidate " + std::to_string(i) +
                      "\ndyn N;\nentry f(x: f32[N]) -> f32[N] { return x * "
                      "2.0; }\n";
    modc_library *lib = nullptr;
    ASSERT_EQ(modc_compile(s, src.data(), src.size(), nullptr, nullptr, &lib),
              0);
    modc_library_release(lib);
  };
  for (int i = 0; i < 100; ++i)
    compileOne(i);
  malloc_trim(0);
  long before = residentKb();
  for (int i = 100; i < 160; ++i)
    compileOne(i);
  malloc_trim(0);
  long after = residentKb();
  ASSERT_GT(before, 0);
  EXPECT_LT(after - before, 4096) << before << " kB -> " << after << " kB";
  modc_session_destroy(s);
}

TEST(SessionTest, StatisticsOfTheLastCompile) {
  modc_session *s = modc_session_create();
  std::string src = kScale;
  modc_library *lib = nullptr;
  ASSERT_EQ(modc_compile(s, src.data(), src.size(), nullptr, "-O2", &lib), 0);
  std::string stats = modc_statistics(s);
  EXPECT_NE(stats.find("mod-lower-library-interface: entries-wrapped = 1\n"),
            std::string::npos)
      << stats;
  modc_library_release(lib);
  // A second entry: counted once more in a compile of its own, not added
  // to the last one's.
  std::string two = src + "entry g(x: f32[N, D]) -> f32[N, D] { return x; }\n";
  ASSERT_EQ(modc_compile(s, two.data(), two.size(), nullptr, "-O2", &lib), 0);
  stats = modc_statistics(s);
  EXPECT_NE(stats.find("mod-lower-library-interface: entries-wrapped = 2\n"),
            std::string::npos)
      << stats;
  modc_library_release(lib);
  // A cache hit and a check run no pass.
  ASSERT_EQ(modc_compile(s, src.data(), src.size(), nullptr, "-O2", &lib), 0);
  EXPECT_STREQ(modc_statistics(s), "");
  modc_library_release(lib);
  ASSERT_EQ(check(s, src), 0);
  EXPECT_STREQ(modc_statistics(s), "");
  EXPECT_STREQ(modc_statistics(nullptr), "");
  modc_session_destroy(s);
}

// Sessions run on their callers' threads, whose stacks may be small: deep
// but legal programs (long operator chains, pipes) are still checked and
// compiled, on a thread with 512 KiB of stack.
TEST(SessionTest, DeepProgramsOnASmallStack) {
  auto chain = [](const char *link, int n) {
    std::string src =
        "model m;\ndyn N;\nentry f(x: f32[N, 4]) -> f32[N, 4] {\n  return x";
    for (int i = 0; i < n; ++i)
      src += link;
    return src + ";\n}\n";
  };
  std::string sum = chain(" + x", 1860), pipe = chain(" |> relu", 1900);
  // Compiling the longest chains takes seconds (issue 11's compile time);
  // shorter ones take the same path through import and the pipelines.
  std::string sumShort = chain(" + x", 200), pipeShort = chain(" |> relu", 200);
  std::string parens = "model m;\ndyn N;\nentry f(x: f32[N, 4]) -> f32[N, 4] "
                       "{\n  return " +
                       std::string(1990, '(') + "x" + std::string(1990, ')') +
                       ";\n}\n";
  struct Job {
    const std::string *src, *compileSrc;
    int checked = -1, compiled = -1;
  };
  std::vector<Job> jobs = {
      {&sum, &sumShort}, {&pipe, &pipeShort}, {&parens, &parens}};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 512 * 1024);
  for (Job &job : jobs) {
    pthread_t t;
    ASSERT_EQ(pthread_create(
                  &t, &attr,
                  [](void *p) -> void * {
                    Job &j = *static_cast<Job *>(p);
                    modc_session *s = modc_session_create();
                    j.checked = modc_check(s, j.src->data(), j.src->size(),
                                           "deep.mod", "");
                    modc_library *lib = nullptr;
                    if (j.checked == 0)
                      j.compiled = modc_compile(s, j.compileSrc->data(),
                                                j.compileSrc->size(),
                                                "deep.mod", "-O0", &lib);
                    modc_library_release(lib);
                    modc_session_destroy(s);
                    return nullptr;
                  },
                  &job),
              0);
    pthread_join(t, nullptr);
  }
  pthread_attr_destroy(&attr);
  EXPECT_EQ(jobs[0].checked, 0);
  EXPECT_EQ(jobs[0].compiled, 0);
  EXPECT_EQ(jobs[1].checked, 0);
  EXPECT_EQ(jobs[1].compiled, 0);
  // Nested deeper than the parser takes: an error, not a crash.
  EXPECT_EQ(jobs[2].checked, 1);
}

TEST(SessionTest, VocabularyAndVersion) {
  std::string json = modc_vocabulary_json();
  EXPECT_EQ(json.front(), '[');
  EXPECT_NE(json.find("\"name\": \"topk\""), std::string::npos);
  EXPECT_STREQ(modc_version(), "0.1.0");
}

} // namespace
