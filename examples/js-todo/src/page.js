// The page GET / serves: a list over the JSON API (titles are inserted as text, never as HTML).
export const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>js-todo</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 36rem; margin: 2rem auto; padding: 0 1rem; }
  form { display: flex; gap: .5rem; margin-bottom: 1rem; }
  input[name=title] { flex: 1; padding: .4rem; }
  ul { list-style: none; padding: 0; }
  li { display: flex; align-items: center; gap: .5rem; padding: .3rem 0; border-bottom: 1px solid #ddd; }
  li.done span { text-decoration: line-through; color: #888; }
  li span { flex: 1; }
  #error { color: #b00; }
</style>
</head>
<body>
<h1>Todos</h1>
<form id="add">
  <input name="title" placeholder="What needs doing?" maxlength="500" required autofocus>
  <button>Add</button>
</form>
<p id="error" role="alert"></p>
<ul id="todos"></ul>
<p id="stats"></p>
<script>
const list = document.getElementById('todos');
const error = document.getElementById('error');

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    const text = await response.text();
    let message = text;
    try { message = JSON.parse(text).error; } catch {}
    throw new Error(response.status + ': ' + message);
  }
  return response.json();
}

function row(todo) {
  const li = document.createElement('li');
  li.className = todo.done ? 'done' : '';
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.checked = todo.done;
  box.addEventListener('change', () => run(() => api('POST', '/api/todos/' + todo.id + '/toggle')));
  const title = document.createElement('span');
  title.textContent = todo.title;
  const del = document.createElement('button');
  del.textContent = 'Delete';
  del.addEventListener('click', () => run(() => api('DELETE', '/api/todos/' + todo.id)));
  li.append(box, title, del);
  return li;
}

async function refresh() {
  const [todos, stats] = await Promise.all([api('GET', '/api/todos'), api('GET', '/api/stats')]);
  list.replaceChildren(...todos.map(row));
  document.getElementById('stats').textContent = stats.open + ' open, ' + stats.done + ' done';
}

async function run(action) {
  error.textContent = '';
  try {
    await action();
    await refresh();
  } catch (e) {
    error.textContent = e.message;
  }
}

document.getElementById('add').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = event.target.elements.title;
  run(async () => {
    await api('POST', '/api/todos', { title: input.value });
    input.value = '';
  });
});

run(async () => {});
</script>
</body>
</html>
`;
