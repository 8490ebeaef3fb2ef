// Model listings in Gemini's shape (`GET /v1beta/models`, `/v1beta/models/{model}`), and the
// `GET /v1/models/{id}` body that serves OpenAI's retrieve and Gemini's v1 get at once.
import { ProxyError } from '../../errors';
import { modelFromPath } from './parse';

export interface GeminiModel {
  id: string;
  displayName: string;
  /** Kiro's description of the model, when it gives one. */
  description?: string;
  inputTokenLimit: number;
  outputTokenLimit: number;
}

/** `GET /v1beta/models`: the Gemini list shape over the proxy's model ids. */
export function modelsListBody(models: GeminiModel[]): unknown {
  return { models: models.map(modelBody) };
}

export function modelBody(model: GeminiModel): unknown {
  return {
    name: `models/${model.id}`,
    baseModelId: model.id,
    version: '001',
    displayName: model.displayName,
    description: model.description ?? `${model.displayName} through Kiro`,
    inputTokenLimit: model.inputTokenLimit,
    outputTokenLimit: model.outputTokenLimit,
    supportedGenerationMethods: ['generateContent', 'streamGenerateContent', 'countTokens'],
    thinking: true,
  };
}

/** `GET /v1beta/models/{model}`: one entry of the list, or NOT_FOUND. */
export function modelInfoBody(models: GeminiModel[], requested: string | undefined): unknown {
  const id = modelFromPath(requested);
  const model = models.find((m) => m.id === id);
  if (!model) throw new ProxyError('not_found', `models/${id} is not found.`);
  return modelBody(model);
}

/** `GET /v1/models/{id}` serves both OpenAI's retrieve (`{id, object, owned_by}`) and Gemini's v1 get. */
export function hybridModelBody(models: GeminiModel[], requested: string | undefined): unknown {
  const id = modelFromPath(requested);
  return { id, object: 'model', type: 'model', display_name: id, created: 1_735_689_600, owned_by: 'kiro-proxy', ...(modelInfoBody(models, id) as object) };
}
