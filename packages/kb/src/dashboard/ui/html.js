// htm bound to Preact's h: tagged templates instead of JSX, so the UI needs no compile step of its own.
import htm from "htm";
import { h } from "preact";

export const html = htm.bind(h);
