// Linux file system calls Node has no binding for, each run on libuv's thread pool. Each promise
// resolves to 0 or to the call's errno; the descriptor must stay open until it settles.
//   syncfs(fd): syncfs(2) of the file system holding fd. It reports the writeback errors recorded
//     on the file system since that descriptor was opened.
//   fallocate(fd, length): fallocate(2), mode 0, of the bytes [0, length): the file's blocks are
//     allocated now (its size grows to `length`), so a full disk is known before any byte is
//     fetched, and writeback has no blocks left to allocate.
// And the file hasher of file-md5.c (md5Create, md5Range, md5Digest).
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <node_api.h>
#include "promise-work.h"

typedef enum { CALL_SYNCFS, CALL_FALLOCATE } Call;

typedef struct {
  PromiseWork promise;
  Call call;
  int fd;
  int64_t length;
} Request;

static void Execute(napi_env env, void* data) {
  Request* request = data;
  int failed;
  if (request->call == CALL_SYNCFS) {
    failed = syncfs(request->fd);
  } else {
    // A signal caught while allocating a large file ends the call with EINTR: it is asked again.
    do failed = fallocate(request->fd, 0, 0, (off_t)request->length);
    while (failed != 0 && errno == EINTR);
  }
  request->promise.error = failed == 0 ? 0 : errno;
}

static void Complete(napi_env env, napi_status status, void* data) {
  Request* request = data;
  SettlePromiseWork(env, status, &request->promise);
  free(request);
}

static napi_value Queue(napi_env env, Call call, int fd, int64_t length, const char* name) {
  Request* request = calloc(1, sizeof *request);
  if (request == NULL) {
    napi_throw_error(env, NULL, "linux-fs: out of memory");
    return NULL;
  }
  request->call = call;
  request->fd = fd;
  request->length = length;
  return QueuePromiseWork(env, name, &request->promise, Execute, Complete);
}

static int DescriptorArgument(napi_env env, napi_value value, int32_t* fd) {
  return napi_get_value_int32(env, value, fd) == napi_ok && *fd >= 0;
}

static napi_value SyncFs(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || !DescriptorArgument(env, argv[0], &fd)) {
    napi_throw_type_error(env, NULL, "syncfs(fd): fd must be an open file descriptor");
    return NULL;
  }
  return Queue(env, CALL_SYNCFS, fd, 0, "syncfs");
}

static napi_value Fallocate(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd;
  int64_t length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 || !DescriptorArgument(env, argv[0], &fd) ||
      napi_get_value_int64(env, argv[1], &length) != napi_ok || length <= 0) {
    napi_throw_type_error(env, NULL, "fallocate(fd, length): fd must be an open file descriptor and length a positive integer");
    return NULL;
  }
  return Queue(env, CALL_FALLOCATE, fd, length, "fallocate");
}

void RegisterFileMd5(napi_env env, napi_value exports);

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "syncfs", NAPI_AUTO_LENGTH, SyncFs, NULL, &fn);
  napi_set_named_property(env, exports, "syncfs", fn);
  napi_create_function(env, "fallocate", NAPI_AUTO_LENGTH, Fallocate, NULL, &fn);
  napi_set_named_property(env, exports, "fallocate", fn);
  RegisterFileMd5(env, exports);
  return exports;
}
