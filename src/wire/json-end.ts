/**
 * Where streamed JSON text ends: fed piece by piece, without keeping the text, it tells
 * when the top-level object (or array) has closed. A tool call's arguments are a JSON
 * object, so once it has closed, no more of them can come.
 * @example
 * const end = new JsonEnd();
 * end.feed('{"city":');  // end.whole === false
 * end.feed('"Paris"}');  // end.whole === true
 */
export class JsonEnd {
  /** The top-level object or array has closed. */
  whole = false;
  private depth = 0;
  private inString = false;
  private escaped = false;

  feed(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c /* \ */) this.escaped = true;
        else if (c === 0x22 /* " */) this.inString = false;
      } else if (c === 0x22) this.inString = true;
      else if (c === 0x7b /* { */ || c === 0x5b /* [ */) this.depth++;
      else if ((c === 0x7d /* } */ || c === 0x5d /* ] */) && --this.depth === 0) this.whole = true;
    }
  }

  reset(): void {
    this.whole = false;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
  }
}
