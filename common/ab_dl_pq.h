/*
 * ab_dl_pq.h - libpq (the state on PostgreSQL), loaded at its first
 * call (common/ab_dl.h).
 * Include this instead of the library's own header: the names below
 * then call through the table ab_dl_pq() fills from libpq.so.5.
 * A function the code starts to use is added to AB_DL_PQ_FNS and given
 * its #define here.
 */
#ifndef AB_DL_PQ_H
#define AB_DL_PQ_H

#include <libpq-fe.h>

#include "common/ab_dl.h"

#define AB_DL_PQ_FNS(X) \
    X(PQclear) \
    X(PQcmdTuples) \
    X(PQconnectdbParams) \
    X(PQerrorMessage) \
    X(PQexec) \
    X(PQexecParams) \
    X(PQexecPrepared) \
    X(PQfinish) \
    X(PQfreemem) \
    X(PQftype) \
    X(PQgetisnull) \
    X(PQgetlength) \
    X(PQgetvalue) \
    X(PQnfields) \
    X(PQntuples) \
    X(PQpingParams) \
    X(PQprepare) \
    X(PQreset) \
    X(PQresultErrorField) \
    X(PQresultErrorMessage) \
    X(PQresultStatus) \
    X(PQsetNoticeProcessor) \
    X(PQstatus) \
    X(PQtransactionStatus) \
    X(PQunescapeBytea)

AB_DL_DECLARE(pq, AB_DL_PQ_FNS)

/* Any macro of the library's own by these names gives way to the table. */
#undef PQclear
#define PQclear (ab_dl_pq()->PQclear)
#undef PQcmdTuples
#define PQcmdTuples (ab_dl_pq()->PQcmdTuples)
#undef PQconnectdbParams
#define PQconnectdbParams (ab_dl_pq()->PQconnectdbParams)
#undef PQerrorMessage
#define PQerrorMessage (ab_dl_pq()->PQerrorMessage)
#undef PQexec
#define PQexec (ab_dl_pq()->PQexec)
#undef PQexecParams
#define PQexecParams (ab_dl_pq()->PQexecParams)
#undef PQexecPrepared
#define PQexecPrepared (ab_dl_pq()->PQexecPrepared)
#undef PQfinish
#define PQfinish (ab_dl_pq()->PQfinish)
#undef PQfreemem
#define PQfreemem (ab_dl_pq()->PQfreemem)
#undef PQftype
#define PQftype (ab_dl_pq()->PQftype)
#undef PQgetisnull
#define PQgetisnull (ab_dl_pq()->PQgetisnull)
#undef PQgetlength
#define PQgetlength (ab_dl_pq()->PQgetlength)
#undef PQgetvalue
#define PQgetvalue (ab_dl_pq()->PQgetvalue)
#undef PQnfields
#define PQnfields (ab_dl_pq()->PQnfields)
#undef PQntuples
#define PQntuples (ab_dl_pq()->PQntuples)
#undef PQpingParams
#define PQpingParams (ab_dl_pq()->PQpingParams)
#undef PQprepare
#define PQprepare (ab_dl_pq()->PQprepare)
#undef PQreset
#define PQreset (ab_dl_pq()->PQreset)
#undef PQresultErrorField
#define PQresultErrorField (ab_dl_pq()->PQresultErrorField)
#undef PQresultErrorMessage
#define PQresultErrorMessage (ab_dl_pq()->PQresultErrorMessage)
#undef PQresultStatus
#define PQresultStatus (ab_dl_pq()->PQresultStatus)
#undef PQsetNoticeProcessor
#define PQsetNoticeProcessor (ab_dl_pq()->PQsetNoticeProcessor)
#undef PQstatus
#define PQstatus (ab_dl_pq()->PQstatus)
#undef PQtransactionStatus
#define PQtransactionStatus (ab_dl_pq()->PQtransactionStatus)
#undef PQunescapeBytea
#define PQunescapeBytea (ab_dl_pq()->PQunescapeBytea)

#endif
