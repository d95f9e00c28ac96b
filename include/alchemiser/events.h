/* Session events as JSON lines (<session>.events.jsonl), one object per
 * line, written and flushed as they happen.
 *
 * Envelope: event_id, event_type, schema_version, timestamp (UTC, ms),
 * session_id, correlation_id, causation_id (the event, or the session's
 * correlation id, that caused this one), payload.  Types and payloads:
 *   StrategyBatchRequested  batch_id, batch_number, total_batches, attempt, rank,
 *                           dsl_files, allocations, batch_weight
 *   PartialSignalGenerated  batch_id, batch_number, total_batches, attempt, rank, success,
 *                           signal_count, partial_portfolio, errors, eval_ms
 *   AggregationCompleted    strategy_count, batch_count, total, consolidated_portfolio
 *   SignalGenerated         as_of, status, consolidated_portfolio, oldest_data_date
 *   WorkflowFailed          status, error_type, error, failed_batches, missing_batches
 *   WorkflowDegraded        policy, dropped_strategies [{index, file, allocation, batch_id,
 *                           error}], dropped_count, kept_count, kept_allocation, renormalised
 *   SessionResumed          run, previous_status, interrupted, snapshot, n_ranks, scheduling,
 *                           deadline, reused_batches, rerun_batches
 *   SessionRerun            rerun_of, rerun_of_status, rerun_of_snapshot
 *
 * Ownership: alc_events owns its FILE; payloads passed to alc_events_emit()
 * are consumed (deleted) whatever the outcome. */
#ifndef ALCHEMISER_EVENTS_H
#define ALCHEMISER_EVENTS_H

#include <cjson/cJSON.h>

#include "alchemiser/error.h"
#include "alchemiser/session.h"

#define ALC_EVENTS_SCHEMA_VERSION 1

typedef struct alc_events alc_events;

alc_status alc_events_open(const char *path, const char *session_id, const char *correlation_id,
                           alc_events **out, alc_error *err);
void alc_events_close(alc_events *ev);

/* Resume: append to an existing log (created when missing); the id of its
 * last event goes to last_event_id ("" when none). */
alc_status alc_events_open_append(const char *path, const char *session_id,
                                  const char *correlation_id, alc_events **out,
                                  char *last_event_id, alc_error *err);

/* Write one event; its id goes to event_id (ALC_EVENT_ID_MAX bytes) when non-NULL. */
alc_status alc_events_emit(alc_events *ev, const char *type, const char *causation_id,
                           cJSON *payload, char *event_id, alc_error *err);

/* Payload builders for the session's events. */
alc_status alc_event_batch_requested(alc_events *ev, const alc_session *s, int batch,
                                     const char *causation_id, char *event_id, alc_error *err);
alc_status alc_event_partial(alc_events *ev, const alc_session *s, const alc_partial *p,
                             const char *causation_id, char *event_id, alc_error *err);
alc_status alc_event_aggregation(alc_events *ev, const alc_session *s, const char *causation_id,
                                 char *event_id, alc_error *err);
alc_status alc_event_signal(alc_events *ev, const alc_session *s, const char *causation_id,
                            char *event_id, alc_error *err);
alc_status alc_event_failed(alc_events *ev, const alc_session *s, const char *causation_id,
                            char *event_id, alc_error *err);
alc_status alc_event_degraded(alc_events *ev, const alc_session *s, const char *causation_id,
                              char *event_id, alc_error *err);
alc_status alc_event_resumed(alc_events *ev, const alc_session *s, const char *causation_id,
                             const char *previous_status, int interrupted, char *event_id,
                             alc_error *err);
alc_status alc_event_rerun(alc_events *ev, const alc_session *s, const char *old_session,
                           const char *old_status, const char *old_snapshot, char *event_id,
                           alc_error *err);

#endif
