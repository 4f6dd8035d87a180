// A promise settled by work on libuv's thread pool, shared by the addon's calls: it resolves to the
// work's `error` (0 or an errno), or to ECANCELED when the work was cancelled before it ran. Each
// call's request holds one as its first member, so the work's data is the request itself.
#ifndef PROMISE_WORK_H
#define PROMISE_WORK_H

#include <errno.h>
#include <node_api.h>

typedef struct {
  int error;
  napi_deferred deferred;
  napi_async_work work;
} PromiseWork;

static inline napi_value QueuePromiseWork(napi_env env, const char* name, PromiseWork* work, napi_async_execute_callback execute,
                                          napi_async_complete_callback complete) {
  napi_value promise, resource;
  napi_create_promise(env, &work->deferred, &promise);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource);
  napi_create_async_work(env, NULL, resource, execute, complete, work, &work->work);
  napi_queue_async_work(env, work->work);
  return promise;
}

// From the work's complete callback; the caller frees the request after it.
static inline void SettlePromiseWork(napi_env env, napi_status status, PromiseWork* work) {
  napi_value result;
  napi_create_int32(env, status == napi_ok ? work->error : ECANCELED, &result);
  napi_resolve_deferred(env, work->deferred, result);
  napi_delete_async_work(env, work->work);
}

#endif
