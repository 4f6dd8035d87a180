// syncfs(2) of the file system holding an open file descriptor, run on libuv's thread pool.
// The promise resolves to 0 or to the call's errno. The descriptor must stay open until then:
// syncfs reports the writeback errors recorded on the file system since that descriptor was opened.
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <node_api.h>

typedef struct {
  int fd;
  int error;
  napi_deferred deferred;
  napi_async_work work;
} SyncRequest;

static void Execute(napi_env env, void* data) {
  SyncRequest* request = data;
  request->error = syncfs(request->fd) == 0 ? 0 : errno;
}

static void Complete(napi_env env, napi_status status, void* data) {
  SyncRequest* request = data;
  napi_value result;
  napi_create_int32(env, status == napi_ok ? request->error : ECANCELED, &result);
  napi_resolve_deferred(env, request->deferred, result);
  napi_delete_async_work(env, request->work);
  free(request);
}

static napi_value SyncFs(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "syncfs(fd): fd must be an open file descriptor");
    return NULL;
  }
  SyncRequest* request = calloc(1, sizeof *request);
  if (request == NULL) {
    napi_throw_error(env, NULL, "syncfs: out of memory");
    return NULL;
  }
  request->fd = fd;
  napi_value promise, name;
  napi_create_promise(env, &request->deferred, &promise);
  napi_create_string_utf8(env, "syncfs", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, Execute, Complete, request, &request->work);
  napi_queue_async_work(env, request->work);
  return promise;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "syncfs", NAPI_AUTO_LENGTH, SyncFs, NULL, &fn);
  napi_set_named_property(env, exports, "syncfs", fn);
  return exports;
}
