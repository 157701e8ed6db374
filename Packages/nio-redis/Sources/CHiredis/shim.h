#ifndef NIOREDIS_CHIREDIS_SHIM_H
#define NIOREDIS_CHIREDIS_SHIM_H
// Only hiredis's reply reader is used; all I/O is done by SwiftNIO.
#include <hiredis/hiredis.h>
#endif
