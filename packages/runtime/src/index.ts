export { ContainerStartAbortedError, ContainerStartError, ContainerLogsNotFoundError } from './container-runtime.ts';
export type {
  ContainerKind,
  ContainerExit,
  ContainerExitReason,
  ContainerRuntime,
  RunningContainer,
  SandboxOptions,
  SandboxInfo,
  SandboxRef,
  ProbeAction,
  ActionResult,
  LogReadOptions,
} from './container-runtime.ts';
export {
  SimRuntime,
  DEFAULT_SIM_TIMINGS,
  SIM_RUNTIME_VERSION,
  SIM_RUN_SECONDS,
  SIM_EXIT_CODE,
  SIM_INIT_EXIT_CODE,
  SIM_FAIL_PROBABILITY,
  SimSandboxError,
} from './sim-runtime.ts';
export type { SimTimings, SimRuntimeOptions } from './sim-runtime.ts';
export { SIM_STEPS, SIM_STEP_OUTCOMES, SimStagesError, parseSimStages, matchStage, stageMatches, stageDelay } from './sim-stages.ts';
export type { SimStep, SimStage, SimStageNext, SimStageSelector, SimStageFailure, StageSubject } from './sim-stages.ts';
export { realTimers, sleep, isAbortError, SleepAbortedError, ManualScheduler } from './timer-scheduler.ts';
export type { TimerScheduler } from './timer-scheduler.ts';
export { mulberry32, hashString } from './prng.ts';
