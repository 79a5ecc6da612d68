/*
 * ab_dl_odbc.h - unixODBC (ODBC sources), loaded at its first
 * call (common/ab_dl.h).
 * Include this instead of the library's own header: the names below
 * then call through the table ab_dl_odbc() fills from libodbc.so.2.
 * A function the code starts to use is added to AB_DL_ODBC_FNS and given
 * its #define here.
 */
#ifndef AB_DL_ODBC_H
#define AB_DL_ODBC_H

#include <sql.h>
#include <sqlext.h>

#include "common/ab_dl.h"

#define AB_DL_ODBC_FNS(X) \
    X(SQLAllocHandle) \
    X(SQLBindParameter) \
    X(SQLCancel) \
    X(SQLDescribeCol) \
    X(SQLDisconnect) \
    X(SQLDriverConnect) \
    X(SQLExecute) \
    X(SQLFetch) \
    X(SQLFreeHandle) \
    X(SQLFreeStmt) \
    X(SQLGetConnectAttr) \
    X(SQLGetData) \
    X(SQLGetDiagRec) \
    X(SQLGetInfo) \
    X(SQLNumResultCols) \
    X(SQLPrepare) \
    X(SQLSetConnectAttr) \
    X(SQLSetEnvAttr) \
    X(SQLSetStmtAttr)

AB_DL_DECLARE(odbc, AB_DL_ODBC_FNS)

/* Any macro of the library's own by these names gives way to the table. */
#undef SQLAllocHandle
#define SQLAllocHandle (ab_dl_odbc()->SQLAllocHandle)
#undef SQLBindParameter
#define SQLBindParameter (ab_dl_odbc()->SQLBindParameter)
#undef SQLCancel
#define SQLCancel (ab_dl_odbc()->SQLCancel)
#undef SQLDescribeCol
#define SQLDescribeCol (ab_dl_odbc()->SQLDescribeCol)
#undef SQLDisconnect
#define SQLDisconnect (ab_dl_odbc()->SQLDisconnect)
#undef SQLDriverConnect
#define SQLDriverConnect (ab_dl_odbc()->SQLDriverConnect)
#undef SQLExecute
#define SQLExecute (ab_dl_odbc()->SQLExecute)
#undef SQLFetch
#define SQLFetch (ab_dl_odbc()->SQLFetch)
#undef SQLFreeHandle
#define SQLFreeHandle (ab_dl_odbc()->SQLFreeHandle)
#undef SQLFreeStmt
#define SQLFreeStmt (ab_dl_odbc()->SQLFreeStmt)
#undef SQLGetConnectAttr
#define SQLGetConnectAttr (ab_dl_odbc()->SQLGetConnectAttr)
#undef SQLGetData
#define SQLGetData (ab_dl_odbc()->SQLGetData)
#undef SQLGetDiagRec
#define SQLGetDiagRec (ab_dl_odbc()->SQLGetDiagRec)
#undef SQLGetInfo
#define SQLGetInfo (ab_dl_odbc()->SQLGetInfo)
#undef SQLNumResultCols
#define SQLNumResultCols (ab_dl_odbc()->SQLNumResultCols)
#undef SQLPrepare
#define SQLPrepare (ab_dl_odbc()->SQLPrepare)
#undef SQLSetConnectAttr
#define SQLSetConnectAttr (ab_dl_odbc()->SQLSetConnectAttr)
#undef SQLSetEnvAttr
#define SQLSetEnvAttr (ab_dl_odbc()->SQLSetEnvAttr)
#undef SQLSetStmtAttr
#define SQLSetStmtAttr (ab_dl_odbc()->SQLSetStmtAttr)

#endif
