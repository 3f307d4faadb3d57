// What the test-only Node-API modules (test/support/thread-state, signal-probe, thread-signal)
// share: the few Node-API declarations they use, written out here (their ABI
// is stable) so that each builds with a bare `cc -shared` and no Node
// headers, and loads in any Node-API runtime; and the helpers to return a
// number and to export a function. Built by test/support/test-modules.ts.
#pragma once
#include <stddef.h>
#include <string.h>

typedef struct napi_env__* napi_env;
typedef struct napi_value__* napi_value;
typedef struct napi_callback_info__* napi_callback_info;
typedef int napi_status;
typedef napi_value (*napi_callback)(napi_env, napi_callback_info);
napi_status napi_create_function(napi_env, const char*, size_t, napi_callback, void*, napi_value*);
napi_status napi_set_named_property(napi_env, napi_value, const char*, napi_value);
napi_status napi_create_double(napi_env, double, napi_value*);
napi_status napi_get_cb_info(napi_env, napi_callback_info, size_t*, napi_value*, napi_value*, void**);
napi_status napi_get_value_double(napi_env, napi_value, double*);

static inline napi_value Number(napi_env env, double value) {
  napi_value result;
  napi_create_double(env, value, &result);
  return result;
}

static inline void Export(napi_env env, napi_value exports, const char* name, napi_callback callback) {
  napi_value function;
  napi_create_function(env, name, strlen(name), callback, NULL, &function);
  napi_set_named_property(env, exports, name, function);
}
