// The chat page: asks with fetch (a POST with the CSRF header, which EventSource cannot send), reads
// the server-sent events from the response body, and shows the answer as it is written. Streamed text
// is only ever set as textContent; the final answer arrives as HTML the server rendered and sanitised.
(() => {
  "use strict";

  const chat = document.querySelector(".chat");
  if (!chat) return;
  const form = document.getElementById("ask");
  const thread = document.getElementById("thread");
  const question = document.getElementById("question");
  const sendButton = document.getElementById("send");
  const stopButton = document.getElementById("stop");
  let controller = null;

  const csrfToken = () => form.querySelector("[name=csrfmiddlewaretoken]").value;

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function setBusy(busy) {
    sendButton.disabled = busy;
    stopButton.hidden = !busy;
    for (const button of thread.querySelectorAll("[data-regenerate]")) button.disabled = busy;
  }

  function scrollToEnd() {
    thread.lastElementChild?.scrollIntoView({ block: "end", behavior: "smooth" });
  }

  function addQuestion(text) {
    document.getElementById("intro")?.remove();
    const item = element("li", "msg user");
    item.append(element("div", "bubble", text));
    thread.append(item);
  }

  function addPendingAnswer() {
    const item = element("li", "msg assistant streaming");
    item.setAttribute("aria-busy", "true");
    item.append(element("div", "answer", ""));
    thread.append(item);
    return item;
  }

  function notice(item, className, text) {
    item.classList.remove("streaming");
    item.removeAttribute("aria-busy");
    item.prepend(element("p", `notice ${className}`, text));
  }

  // One SSE frame ("event: x\ndata: {...}") to an object; comments and blank frames give null.
  function parseFrame(frame) {
    const data = [];
    for (const line of frame.split("\n")) {
      if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
    }
    return data.length ? JSON.parse(data.join("\n")) : null;
  }

  function rememberConversation(event) {
    if (chat.dataset.conversation === String(event.conversation_id)) return;
    chat.dataset.conversation = event.conversation_id;
    chat.dataset.regenerateUrl = event.regenerate_url;
    form.elements.conversation.value = event.conversation_id;
    history.replaceState(null, "", event.conversation_url);
    const list = document.getElementById("conversation-list");
    list.querySelector(".none")?.remove();
    for (const current of list.querySelectorAll("[aria-current]")) current.removeAttribute("aria-current");
    const link = element("a", "", event.title);
    link.href = event.conversation_url;
    link.setAttribute("aria-current", "page");
    const entry = element("li");
    entry.append(link);
    list.prepend(entry);
  }

  async function streamAnswer(url, body) {
    const item = addPendingAnswer();
    const answer = item.querySelector(".answer");
    let text = "";
    let finished = false;
    controller = new AbortController();
    setBusy(true);
    scrollToEnd();

    const handle = (event) => {
      switch (event.type) {
        case "meta":
          rememberConversation(event);
          break;
        case "delta":
          text += event.text;
          answer.textContent = text;
          break;
        case "replace":
          text = event.content;
          answer.textContent = text;
          break;
        case "done": {
          finished = true;
          const template = document.createElement("template");
          template.innerHTML = event.html;
          for (const button of thread.querySelectorAll("[data-regenerate]")) button.remove();
          item.replaceWith(template.content);
          break;
        }
        case "error":
          finished = true;
          notice(item, "failed", event.message);
          break;
        default:
          break; // "sources" arrive rendered with "done".
      }
    };

    try {
      const response = await fetch(url, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), Accept: "text/event-stream" },
        signal: controller.signal,
      });
      const type = response.headers.get("Content-Type") || "";
      if (!response.ok || !type.startsWith("text/event-stream")) {
        throw new Error(
          response.status === 400 ? "The question could not be sent." : `The server answered ${response.status}.`,
        );
      }
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const event = parseFrame(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (event) handle(event);
        }
        scrollToEnd();
      }
      if (!finished) notice(item, "failed", "The answer was cut off. Please try again.");
    } catch (error) {
      if (error.name === "AbortError") notice(item, "stopped", "Stopped before the end");
      else notice(item, "failed", error.message || "The answer could not be loaded.");
    } finally {
      controller = null;
      setBusy(false);
      question.focus();
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = question.value.trim();
    if (!text || controller) return;
    const body = new FormData(form);
    body.set("question", text);
    addQuestion(text);
    question.value = "";
    streamAnswer(chat.dataset.askUrl, body);
  });

  question.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  // Aborting the fetch closes the connection; the server then stops the model and saves what was
  // written so far as a stopped answer.
  stopButton.addEventListener("click", () => controller?.abort());

  async function copy(item, button) {
    const raw = item.querySelector(".raw");
    try {
      await navigator.clipboard.writeText(raw.value);
    } catch {
      raw.hidden = false;
      raw.select();
      document.execCommand("copy");
      raw.hidden = true;
    }
    button.textContent = "Copied";
    setTimeout(() => (button.textContent = "Copy"), 1500);
  }

  async function sendFeedback(item, rating) {
    const url = item.querySelector("[data-feedback-url]").dataset.feedbackUrl;
    const commentForm = item.querySelector("[data-comment]");
    const status = commentForm.querySelector(".feedback-status");
    status.textContent = "Saving…";
    const body = new FormData();
    body.set("rating", rating);
    body.set("comment", commentForm.elements.comment.value);
    const response = await fetch(url, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    });
    if (!response.ok) {
      status.textContent = "Feedback could not be saved.";
      return;
    }
    const saved = await response.json();
    for (const thumb of item.querySelectorAll("[data-rating]")) {
      thumb.setAttribute("aria-pressed", String(thumb.dataset.rating === String(saved.rating)));
    }
    commentForm.hidden = false;
    status.textContent = "Thanks, feedback saved.";
  }

  thread.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    const item = button.closest(".msg");
    if (button.matches("[data-copy]")) copy(item, button);
    else if (button.matches("[data-rating]")) sendFeedback(item, button.dataset.rating);
    else if (button.matches("[data-regenerate]") && !controller && chat.dataset.regenerateUrl) {
      const previous = item.previousElementSibling?.querySelector(".bubble");
      if (previous) addQuestion(previous.textContent);
      streamAnswer(chat.dataset.regenerateUrl, new FormData());
    }
  });

  thread.addEventListener("submit", (event) => {
    const commentForm = event.target.closest("[data-comment]");
    if (!commentForm) return;
    event.preventDefault();
    const item = commentForm.closest(".msg");
    const pressed = item.querySelector("[data-rating][aria-pressed=true]");
    if (pressed) sendFeedback(item, pressed.dataset.rating);
    else commentForm.querySelector(".feedback-status").textContent = "Choose thumbs up or down first.";
  });

  // A citation chip highlights its source in the panel below the answer.
  thread.addEventListener("click", (event) => {
    const chip = event.target.closest("a.cite");
    if (!chip) return;
    const target = document.getElementById(chip.getAttribute("href").slice(1));
    if (!target) return;
    event.preventDefault();
    target.closest("details")?.setAttribute("open", "");
    target.scrollIntoView({ block: "nearest", behavior: "smooth" });
    target.classList.remove("flash");
    void target.offsetWidth;
    target.classList.add("flash");
  });
})();
