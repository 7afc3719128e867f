/**
 * Scheduled checks: scripts with a metadata header in a directory, and built-in probes, run on
 * systemd-calendar, cron or interval schedules. The agent creates one scheduler; the CLI uses
 * the catalog functions. Everything else in this folder is internal.
 */
export { createCheckScheduler, type CheckScheduler, type CheckSchedulerOptions, type ReloadSummary } from './scheduler.js';
export { runCheck, runScript, runProbe, type CheckRunResult, type CheckTarget, type RunCheckOptions } from './run-check.js';
export { parseSchedule, type Schedule } from './schedule.js';
export { parseCheckMetadata, readCheckMetadata, checkIdFromFile, type CheckDefinition } from './metadata.js';
export { parseStatusLine, lastStatusLine, type StatusLine, type CheckStatus } from './status-line.js';
export { addCheck, removeCheck, describeChecks, formatCheckTable, formatLocalTime, formatTable, type AddCheckOptions, type AddedCheck, type CheckListing } from './catalog.js';
export { readCheckState, checkStatePath, CHECK_STATE_FILE, type CheckInfo, type CheckStateEntry, type CheckStateFile } from './check-state.js';
export { toCheckResultPayload, toCheckCompletedData, toWatchedChecks } from './payloads.js';
export { CheckError, CheckMetadataError, ScheduleError, type CheckErrorCode } from './errors.js';
export type { InvalidCheckFile } from './scan-dir.js';
export { runProcess, type ProcessOptions, type ProcessResult, type ProcessEnd } from './run-process.js';
