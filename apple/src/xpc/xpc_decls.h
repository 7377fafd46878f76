/* Declarations of the public libxpc C API that berth uses (Apple's documented C interface,
 * <xpc/xpc.h> and <xpc/connection.h>, in their non-Objective-C spelling), for compiling
 * src/xpc/libxpc_link.cpp on systems without the macOS SDK: there it is compiled, never
 * linked. On macOS <xpc/xpc.h> is used instead, and decls_crosscheck.cpp compiles this file
 * after the SDK's headers, so that a declaration disagreeing with the SDK is an error.
 * Availability, visibility, nonnull and nullability annotations are left out. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if !defined(__BLOCKS__)
#error "xpc_decls.h needs blocks (-fblocks)"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- types (xpc.h, connection.h, dispatch/queue.h) ---- */
typedef void *xpc_object_t;
typedef const struct _xpc_type_s *xpc_type_t;
typedef struct _xpc_connection_s *xpc_connection_t;
typedef struct dispatch_queue_s *dispatch_queue_t;
typedef void (^xpc_handler_t)(xpc_object_t object);
typedef bool (^xpc_dictionary_applier_t)(const char *key, xpc_object_t value);
typedef bool (^xpc_array_applier_t)(size_t index, xpc_object_t value);

/* ---- type objects and well-known error objects ---- */
extern const struct _xpc_type_s _xpc_type_connection;
extern const struct _xpc_type_s _xpc_type_error;
extern const struct _xpc_type_s _xpc_type_dictionary;
extern const struct _xpc_type_s _xpc_type_array;
extern const struct _xpc_type_s _xpc_type_string;
extern const struct _xpc_type_s _xpc_type_data;
extern const struct _xpc_type_s _xpc_type_bool;
extern const struct _xpc_type_s _xpc_type_int64;
extern const struct _xpc_type_s _xpc_type_uint64;
extern const struct _xpc_type_s _xpc_type_date;
extern const struct _xpc_type_s _xpc_type_fd;
extern const struct _xpc_dictionary_s _xpc_error_connection_interrupted;
extern const struct _xpc_dictionary_s _xpc_error_connection_invalid;
extern const char *const _xpc_error_key_description;

#ifndef BERTH_XPC_DECLS_NO_MACROS
#define XPC_TYPE_CONNECTION (&_xpc_type_connection)
#define XPC_TYPE_ERROR (&_xpc_type_error)
#define XPC_TYPE_DICTIONARY (&_xpc_type_dictionary)
#define XPC_TYPE_ARRAY (&_xpc_type_array)
#define XPC_TYPE_STRING (&_xpc_type_string)
#define XPC_TYPE_DATA (&_xpc_type_data)
#define XPC_TYPE_BOOL (&_xpc_type_bool)
#define XPC_TYPE_INT64 (&_xpc_type_int64)
#define XPC_TYPE_UINT64 (&_xpc_type_uint64)
#define XPC_TYPE_DATE (&_xpc_type_date)
#define XPC_TYPE_FD (&_xpc_type_fd)
#define XPC_ERROR_CONNECTION_INTERRUPTED (&(_xpc_error_connection_interrupted))
#define XPC_ERROR_CONNECTION_INVALID (&(_xpc_error_connection_invalid))
#define XPC_ERROR_KEY_DESCRIPTION _xpc_error_key_description
#define XPC_CONNECTION_MACH_SERVICE_PRIVILEGED (1 << 1) /* documented; berth passes 0 */
#define XPC_ARRAY_APPEND ((size_t)(-1))
#endif

/* ---- objects (xpc.h) ---- */
xpc_object_t xpc_retain(xpc_object_t object);
void xpc_release(xpc_object_t object);
xpc_type_t xpc_get_type(xpc_object_t object);

/* ---- connections (connection.h) ---- */
xpc_connection_t xpc_connection_create_mach_service(const char *name, dispatch_queue_t targetq, uint64_t flags);
void xpc_connection_set_event_handler(xpc_connection_t connection, xpc_handler_t handler);
void xpc_connection_activate(xpc_connection_t connection);
void xpc_connection_send_message_with_reply(xpc_connection_t connection, xpc_object_t message,
                                            dispatch_queue_t replyq, xpc_handler_t handler);
xpc_object_t xpc_connection_send_message_with_reply_sync(xpc_connection_t connection, xpc_object_t message);
void xpc_connection_cancel(xpc_connection_t connection);

/* ---- values (xpc.h) ---- */
xpc_object_t xpc_string_create(const char *string);
const char *xpc_string_get_string_ptr(xpc_object_t xstring);
size_t xpc_string_get_length(xpc_object_t xstring);
xpc_object_t xpc_data_create(const void *bytes, size_t length);
const void *xpc_data_get_bytes_ptr(xpc_object_t xdata);
size_t xpc_data_get_length(xpc_object_t xdata);
xpc_object_t xpc_bool_create(bool value);
bool xpc_bool_get_value(xpc_object_t xbool);
xpc_object_t xpc_int64_create(int64_t value);
int64_t xpc_int64_get_value(xpc_object_t xint);
xpc_object_t xpc_uint64_create(uint64_t value);
uint64_t xpc_uint64_get_value(xpc_object_t xuint);
xpc_object_t xpc_date_create(int64_t interval); /* nanoseconds since the Unix epoch */
int64_t xpc_date_get_value(xpc_object_t xdate);
xpc_object_t xpc_fd_create(int fd); /* dups fd; NULL when fd is invalid */
int xpc_fd_dup(xpc_object_t xfd);   /* the caller closes it; -1 on failure */

/* ---- arrays (xpc.h) ---- */
xpc_object_t xpc_array_create(const xpc_object_t *objects, size_t count);
void xpc_array_append_value(xpc_object_t xarray, xpc_object_t value);
size_t xpc_array_get_count(xpc_object_t xarray);
xpc_object_t xpc_array_get_value(xpc_object_t xarray, size_t index);
bool xpc_array_apply(xpc_object_t xarray, xpc_array_applier_t applier);
int xpc_array_dup_fd(xpc_object_t xarray, size_t index);

/* ---- dictionaries (xpc.h) ---- */
xpc_object_t xpc_dictionary_create(const char *const *keys, const xpc_object_t *values, size_t count);
void xpc_dictionary_set_value(xpc_object_t xdict, const char *key, xpc_object_t value);
xpc_object_t xpc_dictionary_get_value(xpc_object_t xdict, const char *key);
size_t xpc_dictionary_get_count(xpc_object_t xdict);
bool xpc_dictionary_apply(xpc_object_t xdict, xpc_dictionary_applier_t applier);
void xpc_dictionary_set_string(xpc_object_t xdict, const char *key, const char *string);
void xpc_dictionary_set_data(xpc_object_t xdict, const char *key, const void *bytes, size_t length);
void xpc_dictionary_set_bool(xpc_object_t xdict, const char *key, bool value);
void xpc_dictionary_set_int64(xpc_object_t xdict, const char *key, int64_t value);
void xpc_dictionary_set_uint64(xpc_object_t xdict, const char *key, uint64_t value);
void xpc_dictionary_set_date(xpc_object_t xdict, const char *key, int64_t value);
void xpc_dictionary_set_fd(xpc_object_t xdict, const char *key, int fd);
const char *xpc_dictionary_get_string(xpc_object_t xdict, const char *key);
const void *xpc_dictionary_get_data(xpc_object_t xdict, const char *key, size_t *length);
bool xpc_dictionary_get_bool(xpc_object_t xdict, const char *key);
int64_t xpc_dictionary_get_int64(xpc_object_t xdict, const char *key);
uint64_t xpc_dictionary_get_uint64(xpc_object_t xdict, const char *key);
int64_t xpc_dictionary_get_date(xpc_object_t xdict, const char *key);
int xpc_dictionary_dup_fd(xpc_object_t xdict, const char *key);

#ifdef __cplusplus
}
#endif
