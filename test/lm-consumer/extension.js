// Another extension's view of the Kiro models: only `vscode.lm`, as Cline's "VS Code LM API"
// provider uses it (selectChatModels by vendor, sendRequest with a justification, read the
// text stream). The real-VS-Code suite calls these commands and checks what comes back.
const vscode = require('vscode');

/** @param {vscode.ExtensionContext} context */
function activate(context) {
  const access = context.languageModelAccessInformation;
  context.subscriptions.push(
    vscode.commands.registerCommand('kiroLmConsumer.models', async () => {
      const models = await vscode.lm.selectChatModels({ vendor: 'kiro' });
      return models.map((m) => ({
        id: m.id,
        name: m.name,
        vendor: m.vendor,
        family: m.family,
        maxInputTokens: m.maxInputTokens,
        // Consent VS Code already holds for this extension (true, false, or undefined = never asked).
        canSendRequest: access.canSendRequest(m),
      }));
    }),
    vscode.commands.registerCommand('kiroLmConsumer.ask', async (modelId, prompt) => {
      const [model] = await vscode.lm.selectChatModels({ vendor: 'kiro', id: modelId });
      if (!model) return { error: { name: 'NotFound', code: 'NotFound', message: `no Kiro model ${modelId}` } };
      try {
        const response = await model.sendRequest(
          [vscode.LanguageModelChatMessage.User(prompt)],
          { justification: 'The Kiro Proxy tests check cross-extension access.' },
          new vscode.CancellationTokenSource().token,
        );
        const chunks = [];
        for await (const chunk of response.text) chunks.push(chunk);
        return { text: chunks.join(''), chunks: chunks.length, canSendRequest: access.canSendRequest(model) };
      } catch (err) {
        return {
          error: { name: err && err.name, code: err && err.code, message: String(err && err.message), isLanguageModelError: err instanceof vscode.LanguageModelError },
        };
      }
    }),
  );
}

module.exports = { activate };
