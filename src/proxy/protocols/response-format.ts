// Structured-output requests of every protocol, in one shape: Responses `text.format`, Chat
// `response_format` (schema under `json_schema`), Anthropic `output_config.format` / `output_format`.
import type { ResponseFormat } from '../model';
import type { Fields } from './fields';

export function responseFormatOf(format: Fields | undefined): ResponseFormat | undefined {
  const type = format?.optionalString('type');
  if (!format || type === undefined || type === 'text') return undefined;
  if (type === 'json_object') return { type: 'json_object' };
  if (type === 'json_schema') {
    const nested = format.optionalObject('json_schema');
    return { type: 'json_schema', schema: (nested ?? format).value.schema ?? {} };
  }
  return undefined; // a format this proxy does not know (grammar…): answered as plain text
}
