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

#endif
