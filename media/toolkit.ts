// The only file that knows the component library. Swapping `@vscode/webview-ui-toolkit`
// (deprecated upstream) for another one touches this file and the tag names in the views.
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeDivider,
  vsCodeDropdown,
  vsCodeOption,
  vsCodePanels,
  vsCodePanelTab,
  vsCodePanelView,
  vsCodeProgressRing,
} from '@vscode/webview-ui-toolkit';

export function registerToolkit(): void {
  provideVSCodeDesignSystem().register(
    vsCodeButton(),
    vsCodeDivider(),
    vsCodeDropdown(),
    vsCodeOption(),
    vsCodePanels(),
    vsCodePanelTab(),
    vsCodePanelView(),
    vsCodeProgressRing(),
  );
}

/** The toolkit's elements as the views use them: a value, a disabled flag, a change event. */
export interface ValueElement extends HTMLElement {
  value: string;
}
export interface ButtonElement extends HTMLElement {
  disabled: boolean;
}
export interface TabsElement extends HTMLElement {
  activeid: string;
}
