/*
 * querylab_spin: a calibration slowdown inside the server.
 *
 * QueryLab loads this module per connection (session_preload_libraries in the startup options) to make
 * a variant's own statements cost more CPU on the server, the way a slower query would, with no extra
 * round trip. querylab.spin_us (0..1000000, per session, default 0) is the busy-spin in microseconds that
 * each top-level statement pays before the executor runs it:
 *
 *   - a top-level SELECT/INSERT/UPDATE/DELETE/MERGE spins once, before its executor runs;
 *   - statements run inside it (SQL and PL/pgSQL function bodies, triggers, queries run while planning)
 *     do not spin again;
 *   - a top-level utility statement spins once if it runs a query (EXPLAIN ANALYZE, CALL, DO, REFRESH
 *     MATERIALIZED VIEW, CREATE TABLE AS), on its first one; BEGIN, COMMIT, SET, COPY FROM STDIN do not;
 *   - parallel workers never spin (the leader already did).
 *
 * querylab.spin_count (read only) counts the spins of the session, so tests can check the rule above
 * without timing anything.
 *
 * Built by seed/QueryLab.Seed/Server/SpinExtension.cs with the server's own pg_config; PostgreSQL 13+.
 */
#include "postgres.h"

#include <limits.h>

#include "access/parallel.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "optimizer/planner.h"
#include "portability/instr_time.h"
#include "tcop/utility.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

static int	spin_us = 0;
static int	spin_count = 0;

/* Depth inside the executor, the planner or a utility statement: 0 means "at the top level". */
static int	nesting = 0;

/* A top-level utility statement is running, and has it spun yet. */
static bool utility_at_top = false;
static bool utility_spun = false;

static ExecutorRun_hook_type prev_ExecutorRun = NULL;
static ExecutorFinish_hook_type prev_ExecutorFinish = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;
static planner_hook_type prev_planner = NULL;

static void
spin(void)
{
	instr_time	start;
	instr_time	now;

	INSTR_TIME_SET_CURRENT(start);
	for (;;)
	{
		INSTR_TIME_SET_CURRENT(now);
		INSTR_TIME_SUBTRACT(now, start);
		if (INSTR_TIME_GET_MICROSEC(now) >= (uint64) spin_us)
			break;
		CHECK_FOR_INTERRUPTS();
	}
	spin_count = spin_count == INT_MAX ? 0 : spin_count + 1;
}

static void
maybe_spin(void)
{
	if (spin_us <= 0 || IsParallelWorker())
		return;
	if (nesting == 0)
		spin();
	else if (utility_at_top && !utility_spun)
	{
		utility_spun = true;
		spin();
	}
}

#if PG_VERSION_NUM >= 180000
#define RUN_ARGS_DECL QueryDesc *queryDesc, ScanDirection direction, uint64 count
#define RUN_ARGS queryDesc, direction, count
#else
#define RUN_ARGS_DECL QueryDesc *queryDesc, ScanDirection direction, uint64 count, bool execute_once
#define RUN_ARGS queryDesc, direction, count, execute_once
#endif

static void
spin_ExecutorRun(RUN_ARGS_DECL)
{
	maybe_spin();
	nesting++;
	PG_TRY();
	{
		if (prev_ExecutorRun)
			prev_ExecutorRun(RUN_ARGS);
		else
			standard_ExecutorRun(RUN_ARGS);
	}
	PG_FINALLY();
	{
		nesting--;
	}
	PG_END_TRY();
}

/* AFTER triggers fire here: their statements are nested, not top level. */
static void
spin_ExecutorFinish(QueryDesc *queryDesc)
{
	nesting++;
	PG_TRY();
	{
		if (prev_ExecutorFinish)
			prev_ExecutorFinish(queryDesc);
		else
			standard_ExecutorFinish(queryDesc);
	}
	PG_FINALLY();
	{
		nesting--;
	}
	PG_END_TRY();
}

/* Functions the planner evaluates (constant folding) run queries that are not top level either. */
static PlannedStmt *
spin_planner(Query *parse, const char *query_string, int cursorOptions, ParamListInfo boundParams)
{
	PlannedStmt *result;

	nesting++;
	PG_TRY();
	{
		if (prev_planner)
			result = prev_planner(parse, query_string, cursorOptions, boundParams);
		else
			result = standard_planner(parse, query_string, cursorOptions, boundParams);
	}
	PG_FINALLY();
	{
		nesting--;
	}
	PG_END_TRY();
	return result;
}

#if PG_VERSION_NUM >= 140000
#define UTILITY_ARGS_DECL PlannedStmt *pstmt, const char *queryString, bool readOnlyTree, \
	ProcessUtilityContext context, ParamListInfo params, QueryEnvironment *queryEnv, \
	DestReceiver *dest, QueryCompletion *qc
#define UTILITY_ARGS pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc
#else
#define UTILITY_ARGS_DECL PlannedStmt *pstmt, const char *queryString, \
	ProcessUtilityContext context, ParamListInfo params, QueryEnvironment *queryEnv, \
	DestReceiver *dest, QueryCompletion *qc
#define UTILITY_ARGS pstmt, queryString, context, params, queryEnv, dest, qc
#endif

static void
spin_ProcessUtility(UTILITY_ARGS_DECL)
{
	bool		top = nesting == 0;

	if (top)
	{
		utility_at_top = true;
		utility_spun = false;
	}
	nesting++;
	PG_TRY();
	{
		if (prev_ProcessUtility)
			prev_ProcessUtility(UTILITY_ARGS);
		else
			standard_ProcessUtility(UTILITY_ARGS);
	}
	PG_FINALLY();
	{
		nesting--;
		if (top)
			utility_at_top = false;
	}
	PG_END_TRY();
}

void
_PG_init(void)
{
	DefineCustomIntVariable("querylab.spin_us",
							"Microseconds of busy CPU each top-level statement spends before it runs (QueryLab calibration).",
							NULL,
							&spin_us,
							0, 0, 1000000,
							PGC_USERSET,
							0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("querylab.spin_count",
							"Spins this session has done (querylab.spin_us).",
							NULL,
							&spin_count,
							0, 0, INT_MAX,
							PGC_INTERNAL,
							GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE,
							NULL, NULL, NULL);
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("querylab");
#else
	EmitWarningsOnPlaceholders("querylab");
#endif

	prev_ExecutorRun = ExecutorRun_hook;
	ExecutorRun_hook = spin_ExecutorRun;
	prev_ExecutorFinish = ExecutorFinish_hook;
	ExecutorFinish_hook = spin_ExecutorFinish;
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = spin_ProcessUtility;
	prev_planner = planner_hook;
	planner_hook = spin_planner;
}
