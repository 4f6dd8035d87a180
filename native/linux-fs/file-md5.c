// MD5 of a file's byte ranges, read back from the page cache, off the JavaScript threads:
//   md5Create(): a new MD5 state (OpenSSL's, which Node links in).
//   md5Range(state, fd, from, to): feeds the bytes [from, to) of fd to the state; resolves to 0 or
//     the read's errno. One call at a time per state, in file order; fd stays open until it settles.
//   md5Digest(state): the 16 bytes of the digest; the state is done with.
// Each range is queued from libuv's thread pool to a hash thread at nice +10, the pool thread
// waiting for it: the hashing then yields the CPU to the threads serving the API and driving the
// downloads, as the worker threads it replaces did, which a pool thread cannot (an unprivileged
// thread may raise its nice value but never lower it back). Hash threads are started as calls need
// them, up to HASH_THREADS, and stay for the process's life, asleep when idle.
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <node_api.h>
#include <openssl/evp.h>
#include "promise-work.h"

enum { HASH_BLOCK = 256 * 1024, HASH_THREADS = 16, HASH_NICE = 10 };

// An MD5 state, held by its JavaScript value and by the range being fed to it, if any: freed by
// the last to let go. A thread's environment torn down (a worker ended) finalizes its values while
// a hash thread may still be feeding one.
typedef struct {
  EVP_MD_CTX* md5;
  int holders;
} State;

typedef struct HashRange {
  PromiseWork promise;
  State* state;
  int fd;
  int64_t from;
  int64_t to;
  int done;
  // Set once a thread has fed it and let go of the state: a range cancelled before that (its
  // environment torn down first) lets go of it when completed instead.
  int released;
  struct HashRange* next;
} HashRange;

// Marks the externals md5Create makes, so a call given any other value throws instead of using it.
static const napi_type_tag STATE_TAG = {0x6d6435737461746bULL, 0x6473732d66696c65ULL};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queued = PTHREAD_COND_INITIALIZER;
static pthread_cond_t finished = PTHREAD_COND_INITIALIZER;
static HashRange* head;
static HashRange* tail;
static int threads;
static int idle;

static void Release(State* state) {
  pthread_mutex_lock(&lock);
  int last = --state->holders == 0;
  pthread_mutex_unlock(&lock);
  if (last) {
    EVP_MD_CTX_free(state->md5);
    free(state);
  }
}

static int Feed(HashRange* range) {
  unsigned char* block = malloc(HASH_BLOCK);
  if (block == NULL) return ENOMEM;
  int error = 0;
  for (int64_t at = range->from; at < range->to && error == 0;) {
    size_t want = range->to - at < HASH_BLOCK ? (size_t)(range->to - at) : HASH_BLOCK;
    ssize_t got = pread(range->fd, block, want, (off_t)at);
    if (got < 0) {
      if (errno != EINTR) error = errno;
    } else if (got == 0) {
      error = EIO;  // the file is shorter than the range: it was cut while being hashed
    } else if (EVP_DigestUpdate(range->state->md5, block, (size_t)got) != 1) {
      error = EINVAL;
    } else {
      at += got;
    }
  }
  free(block);
  return error;
}

static void* HashThread(void* unused) {
  setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), HASH_NICE);
  pthread_mutex_lock(&lock);
  for (;;) {
    while (head == NULL) {
      idle += 1;
      pthread_cond_wait(&queued, &lock);
      idle -= 1;
    }
    HashRange* range = head;
    head = range->next;
    if (head == NULL) tail = NULL;
    pthread_mutex_unlock(&lock);
    int error = Feed(range);
    pthread_mutex_lock(&lock);
    range->promise.error = error;
    range->done = 1;
    pthread_cond_broadcast(&finished);
  }
  return NULL;
}

// On a pool thread: hands the range to a hash thread and waits for it. Without any hash thread
// (none could be started), the pool thread hashes it itself.
static void Execute(napi_env env, void* data) {
  HashRange* range = data;
  pthread_mutex_lock(&lock);
  if (idle == 0 && threads < HASH_THREADS) {
    pthread_t thread;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&thread, &attributes, HashThread, NULL) == 0) threads += 1;
    pthread_attr_destroy(&attributes);
  }
  if (threads == 0) {
    pthread_mutex_unlock(&lock);
    range->promise.error = Feed(range);
  } else {
    if (tail != NULL) tail->next = range;
    else head = range;
    tail = range;
    pthread_cond_signal(&queued);
    while (!range->done) pthread_cond_wait(&finished, &lock);
    pthread_mutex_unlock(&lock);
  }
  Release(range->state);
  range->released = 1;
}

static void Complete(napi_env env, napi_status status, void* data) {
  HashRange* range = data;
  if (!range->released) Release(range->state);
  SettlePromiseWork(env, status, &range->promise);
  free(range);
}

static void FinalizeState(napi_env env, void* state, void* hint) {
  Release(state);
}

static napi_value Md5Create(napi_env env, napi_callback_info info) {
  State* state = calloc(1, sizeof *state);
  EVP_MD_CTX* md5 = state == NULL ? NULL : EVP_MD_CTX_new();
  if (md5 == NULL || EVP_DigestInit_ex(md5, EVP_md5(), NULL) != 1) {
    EVP_MD_CTX_free(md5);
    free(state);
    napi_throw_error(env, NULL, "md5Create: MD5 is not available");
    return NULL;
  }
  state->md5 = md5;
  state->holders = 1;
  napi_value value;
  napi_create_external(env, state, FinalizeState, NULL, &value);
  napi_type_tag_object(env, value, &STATE_TAG);
  return value;
}

// The MD5 state held by `value`, when it is one md5Create made.
static int StateArgument(napi_env env, napi_value value, State** state) {
  bool tagged = false;
  return napi_check_object_type_tag(env, value, &STATE_TAG, &tagged) == napi_ok && tagged && napi_get_value_external(env, value, (void**)state) == napi_ok;
}

static napi_value Md5Range(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  State* state;
  int32_t fd;
  int64_t from, to;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 || !StateArgument(env, argv[0], &state) ||
      napi_get_value_int32(env, argv[1], &fd) != napi_ok || fd < 0 || napi_get_value_int64(env, argv[2], &from) != napi_ok ||
      napi_get_value_int64(env, argv[3], &to) != napi_ok || from < 0 || to < from) {
    napi_throw_type_error(env, NULL, "md5Range(state, fd, from, to): a state, an open file descriptor and 0 <= from <= to");
    return NULL;
  }
  HashRange* range = calloc(1, sizeof *range);
  if (range == NULL) {
    napi_throw_error(env, NULL, "md5Range: out of memory");
    return NULL;
  }
  range->fd = fd;
  range->from = from;
  range->to = to;
  range->state = state;
  pthread_mutex_lock(&lock);
  state->holders += 1;
  pthread_mutex_unlock(&lock);
  return QueuePromiseWork(env, "md5Range", &range->promise, Execute, Complete);
}

static napi_value Md5Digest(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  State* state;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || !StateArgument(env, argv[0], &state)) {
    napi_throw_type_error(env, NULL, "md5Digest(state): a state from md5Create");
    return NULL;
  }
  void* bytes;
  napi_value digest;
  unsigned int length = 16;
  napi_create_buffer(env, 16, &bytes, &digest);
  if (EVP_DigestFinal_ex(state->md5, bytes, &length) != 1) {
    napi_throw_error(env, NULL, "md5Digest: the digest failed");
    return NULL;
  }
  return digest;
}

// The hash threads outlive the thread that loaded the addon: Node unloads an addon loaded by a
// worker thread when that thread ends, which would unmap the code they run. Opened once more with
// RTLD_NODELETE, the library stays mapped until the process ends.
static void KeepLoaded(void) {
  Dl_info self;
  if (dladdr((void*)KeepLoaded, &self) != 0 && self.dli_fname != NULL) dlopen(self.dli_fname, RTLD_NOW | RTLD_NODELETE);
}

static pthread_once_t keep_loaded = PTHREAD_ONCE_INIT;

void RegisterFileMd5(napi_env env, napi_value exports) {
  pthread_once(&keep_loaded, KeepLoaded);
  napi_value fn;
  napi_create_function(env, "md5Create", NAPI_AUTO_LENGTH, Md5Create, NULL, &fn);
  napi_set_named_property(env, exports, "md5Create", fn);
  napi_create_function(env, "md5Range", NAPI_AUTO_LENGTH, Md5Range, NULL, &fn);
  napi_set_named_property(env, exports, "md5Range", fn);
  napi_create_function(env, "md5Digest", NAPI_AUTO_LENGTH, Md5Digest, NULL, &fn);
  napi_set_named_property(env, exports, "md5Digest", fn);
}
