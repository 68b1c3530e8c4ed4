export {
  createIngester,
  ensureIngestTopics,
  type IngestStats,
  type Ingester,
  type IngesterOptions,
} from './create-ingester.ts';
export { ingestSteps, runPipeline, type DeadLetter } from './run-pipeline.ts';
