//! `/admin`: the tenant's members and their roles, and invitations for new ones.

use super::{error_line, AdminFrame};
use crate::components::error_box::ErrorBox;
use crate::components::when;
use crate::server_fns::admin::{list_members, CreateInvitation, RemoveMember, SetMemberRole};
use leptos::prelude::*;
use shared::auth::Member;
use shared::Role;

#[component]
pub fn PeoplePage() -> impl IntoView {
    let set_role = ServerAction::<SetMemberRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let members = crate::resource::resource(
        move || (set_role.version().get(), remove.version().get()),
        |_| list_members(),
    );
    // The invitation's state lives here: the card is drawn again when the members reload,
    // and a code just created stays on screen.
    let invite = ServerAction::<CreateInvitation>::new();
    let invite_role = RwSignal::new(Role::Operator);
    view! {
        <AdminFrame path="/admin">
            <section class="card admin-wide" aria-labelledby="members-title">
                <h2 id="members-title">"Members"</h2>
                {error_line(move || set_role.value().get().and_then(Result::err))}
                {error_line(move || remove.value().get().and_then(Result::err))}
                <Transition fallback=|| view! { <p class="loading">"Loading members…"</p> }>
                    {move || Suspend::new(async move {
                        match members.await {
                            Ok(list) => view! { <MemberTable list set_role remove /> }.into_any(),
                            Err(error) => view! { <ErrorBox error retry=move |_| members.refetch() /> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            // Only for those who may see the members (the server refuses the others anyway).
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    members.await.is_ok().then(|| view! { <InvitationCard invite role=invite_role /> })
                })}
            </Transition>
        </AdminFrame>
    }
}

#[component]
fn MemberTable(
    list: Vec<Member>,
    set_role: ServerAction<SetMemberRole>,
    remove: ServerAction<RemoveMember>,
) -> impl IntoView {
    let rows = list
        .into_iter()
        .map(|m| {
            let user_id = m.user_id;
            let current = m.role;
            let label = format!("Role of {}", m.email);
            view! {
                <tr data-testid="member-row">
                    <td>{m.display_name.clone()}</td>
                    <td>{m.email.clone()}</td>
                    <td>
                        <select
                            aria-label=label
                            on:change=move |ev| {
                                if let Ok(role) = event_target_value(&ev).parse::<Role>() {
                                    set_role.dispatch(SetMemberRole { user_id, role });
                                }
                            }
                        >
                            {[Role::Viewer, Role::Operator, Role::Admin]
                                .into_iter()
                                .map(|r| view! {
                                    <option value=r.as_str() selected=r == current>{r.as_str()}</option>
                                })
                                .collect_view()}
                        </select>
                    </td>
                    <td>{when(m.joined_at)}</td>
                    <td>
                        <button
                            class="btn btn-ghost"
                            on:click=move |_| {
                                remove.dispatch(RemoveMember { user_id });
                            }
                        >
                            "Remove"
                        </button>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table data-testid="members">
                <thead>
                    <tr><th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Joined"</th><th></th></tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn InvitationCard(invite: ServerAction<CreateInvitation>, role: RwSignal<Role>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="invite-title">
            <h2 id="invite-title">"Invite a colleague"</h2>
            <div class="form-row">
                <label>
                    "Role "
                    <select on:change=move |ev| {
                        if let Ok(r) = event_target_value(&ev).parse::<Role>() {
                            role.set(r);
                        }
                    }>
                        {[Role::Viewer, Role::Operator, Role::Admin]
                            .into_iter()
                            .map(|r| view! {
                                <option value=r.as_str() selected=move || role.get() == r>{r.as_str()}</option>
                            })
                            .collect_view()}
                    </select>
                </label>
                <button
                    class="btn btn-primary"
                    data-testid="create-invitation"
                    disabled=move || invite.pending().get()
                    on:click=move |_| {
                        invite.dispatch(CreateInvitation { role: role.get_untracked() });
                    }
                >
                    "Create invitation"
                </button>
            </div>
            {move || match invite.value().get() {
                Some(Ok(created)) => view! {
                    <p class="secret" data-testid="invitation-code">
                        "Code for a new " {created.role.as_str()} ": " <code>{created.code.clone()}</code>
                        " — shown once, valid until " {when(created.expires_at)} ". The person "
                        "enters it on the registration page."
                    </p>
                }.into_any(),
                Some(Err(e)) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                None => ().into_any(),
            }}
        </section>
    }
}
