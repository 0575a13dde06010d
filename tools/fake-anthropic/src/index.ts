export { startFakeAnthropic, hashBody } from './fake-anthropic';
export type { FakeAnthropic, FakeAnthropicOptions, RecordedRequest, UsageTotals } from './fake-anthropic';
export type { Fault } from './faults';
export { ApiError } from './api-error';
export {
  echoScript,
  lastToolResult,
  resultText,
  scriptBook,
  scriptTurns,
  stop,
  systemText,
  text,
  toolResults,
  toolUse,
  turn,
} from './script';
export type { AssistantTurn, Script, ScriptBook, ScriptContext, Turn } from './script';
export { canonicalJson, tokensOfBlock, tokensOfText } from './tokens';
export { SERVED_MODELS, isServedModel } from './models';
export type { MessagesRequest, MessageResponse, OutputBlock, StopReason, Usage } from './types';
export * from './scripts';
