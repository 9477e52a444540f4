import { Component, type ComponentChildren } from 'preact';

interface Props {
  /** What to show, unformatted, when the children fail to render. */
  text: string;
  children: ComponentChildren;
}

/**
 * One message's rendering failing (markdown the renderer cannot handle, a bug) shows that
 * message's text plain; the rest of the conversation renders as usual.
 */
export class MessageBoundary extends Component<Props, { failed: boolean }> {
  override state = { failed: false };

  static override getDerivedStateFromError() {
    return { failed: true };
  }

  override componentDidCatch() {
    // getDerivedStateFromError has switched to the plain text; nothing else to do.
  }

  override render() {
    if (!this.state.failed) return this.props.children;
    return (
      <div class="markdown markdown-plain" data-plain="true">
        {this.props.text}
      </div>
    );
  }
}
